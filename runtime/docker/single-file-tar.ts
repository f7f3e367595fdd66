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

function header(name: string, size: number, mode: number, type: "0" | "5", mtimeSeconds: number): Buffer {
  const nameBytes = Buffer.from(name, "utf8");
  if (nameBytes.length > 100) throw new Error(`path "${name}" is longer than 100 bytes; use a shorter path`);
  const block = Buffer.alloc(512, 0);
  nameBytes.copy(block, 0);
  const octal = (value: number, width: number) => value.toString(8).padStart(width - 1, "0") + "\0";
  block.write(octal(mode & 0o7777, 8), 100, "ascii");
  block.write(octal(0, 8), 108, "ascii"); // uid
  block.write(octal(0, 8), 116, "ascii"); // gid
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
