/**
 * A minimal ustar writer: enough to hand a few small files (the NoCloud seed) to `putArchive`, so the
 * seed reaches the test host through the Docker API and works with remote engines too (no bind mount
 * of a local folder, no leftover files on this machine).
 */
export interface TarEntry {
  /** Path inside the archive, relative (e.g. `var/lib/cloud/seed/nocloud/user-data`). */
  path: string;
  content: string | Buffer;
  /** @default 0o644 */
  mode?: number;
}

export function tarArchive(entries: TarEntry[]): Buffer {
  const blocks: Buffer[] = [];
  for (const entry of entries) {
    const body = Buffer.isBuffer(entry.content) ? entry.content : Buffer.from(entry.content, "utf8");
    if (Buffer.byteLength(entry.path) > 100) throw new Error(`tar path too long: ${entry.path}`);
    const header = Buffer.alloc(512, 0);
    header.write(entry.path, 0, 100, "utf8");
    header.write(octal(entry.mode ?? 0o644, 8), 100);
    header.write(octal(0, 8), 108); // uid
    header.write(octal(0, 8), 116); // gid
    header.write(octal(body.length, 12), 124);
    header.write(octal(Math.floor(Date.now() / 1000), 12), 136);
    header.write("        ", 148); // checksum placeholder (spaces while summing)
    header.write("0", 156); // regular file
    header.write("ustar\u000000", 257);
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, "0")}\u0000 `, 148);
    blocks.push(header, body, Buffer.alloc((512 - (body.length % 512)) % 512, 0));
  }
  blocks.push(Buffer.alloc(1024, 0));
  return Buffer.concat(blocks);
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, "0")}\u0000`;
}
