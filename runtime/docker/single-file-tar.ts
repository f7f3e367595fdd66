/**
 * A tar archive holding one regular file (and its parent directories), for Docker's putArchive: the only way to
 * copy a file into a container that has no shell. Written by hand because the format for one file is a few
 * dozen lines, and dockerode's tar-fs is built for directories on disk.
 */
import { posix } from "node:path";

/** `path` is relative to where the archive is extracted (e.g. "data/in.txt" extracted at "/"). */
export function singleFileTar(path: string, content: Buffer, mode = 0o644, mtimeSeconds = Math.floor(Date.now() / 1000)): Buffer {
  const parts = path.split("/").filter(Boolean);
  const entries: Buffer[] = [];
  for (let i = 1; i < parts.length; i++) {
    entries.push(header(`${parts.slice(0, i).join("/")}/`, 0, 0o755, "5", mtimeSeconds));
  }
  entries.push(header(posix.join(...parts), content.length, mode, "0", mtimeSeconds));
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512, 0);
  return Buffer.concat([...entries, content, padding, Buffer.alloc(1024, 0)]);
}

/**
 * A tar of one directory entry with an owner, extracted onto an existing directory to set its owner and mode:
 * a fresh Docker volume's root belongs to root, and a workspace's non-root user must be able to write to it.
 */
export function directoryOwnerTar(name: string, uid: number, gid: number, mode = 0o755, mtimeSeconds = Math.floor(Date.now() / 1000)): Buffer {
  return Buffer.concat([header(name.endsWith("/") ? name : `${name}/`, 0, mode, "5", mtimeSeconds, uid, gid), Buffer.alloc(1024, 0)]);
}

function header(name: string, size: number, mode: number, type: "0" | "5", mtimeSeconds: number, uid = 0, gid = 0): Buffer {
  const nameBytes = Buffer.from(name, "utf8");
  if (nameBytes.length > 100) throw new Error(`path "${name}" is longer than 100 bytes; use a shorter path`);
  const block = Buffer.alloc(512, 0);
  nameBytes.copy(block, 0);
  const octal = (value: number, width: number) => value.toString(8).padStart(width - 1, "0") + "\0";
  block.write(octal(mode & 0o7777, 8), 100, "ascii");
  block.write(octal(uid, 8), 108, "ascii");
  block.write(octal(gid, 8), 116, "ascii");
  block.write(octal(size, 12), 124, "ascii");
  block.write(octal(mtimeSeconds, 12), 136, "ascii");
  block.fill(" ", 148, 156); // the checksum field counts as spaces while summing
  block.write(type, 156, "ascii");
  block.write("ustar\0", 257, "ascii");
  block.write("00", 263, "ascii");
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "ascii");
  return block;
}

/** The content of the first regular file in a tar archive (what Docker's getArchive returns for one file). */
export function readSingleFileTar(tar: Buffer): Buffer | undefined {
  for (let offset = 0; offset + 512 <= tar.length; ) {
    const block = tar.subarray(offset, offset + 512);
    if (block.every((byte) => byte === 0)) return undefined;
    const size = parseInt(block.subarray(124, 136).toString("ascii").replace(/\0.*$/, "").trim() || "0", 8);
    const type = String.fromCharCode(block[156] ?? 0);
    const start = offset + 512;
    // "0" or NUL: a regular file; anything else (directories, PAX headers) is skipped.
    if (type === "0" || type === "\0") return tar.subarray(start, start + size);
    offset = start + Math.ceil(size / 512) * 512;
  }
  return undefined;
}
