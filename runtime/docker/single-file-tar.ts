/**
 * A tar archive holding one regular file, for Docker's putArchive (the only way to copy a file into a container
 * that has no shell). Written by hand because the format for one file is 30 lines and dockerode's tar-fs is
 * built for directories on disk.
 */
export function singleFileTar(name: string, content: Buffer, mode = 0o644, mtimeSeconds = Math.floor(Date.now() / 1000)): Buffer {
  const nameBytes = Buffer.from(name, "utf8");
  if (nameBytes.length > 100) throw new Error(`file name "${name}" is longer than 100 bytes; put it in a directory first`);
  const header = Buffer.alloc(512, 0);
  nameBytes.copy(header, 0);
  const octal = (value: number, width: number) => value.toString(8).padStart(width - 1, "0") + "\0";
  header.write(octal(mode & 0o7777, 8), 100, "ascii");
  header.write(octal(0, 8), 108, "ascii"); // uid
  header.write(octal(0, 8), 116, "ascii"); // gid
  header.write(octal(content.length, 12), 124, "ascii");
  header.write(octal(mtimeSeconds, 12), 136, "ascii");
  header.fill(" ", 148, 156); // checksum field counts as spaces while summing
  header.write("0", 156, "ascii"); // regular file
  header.write("ustar\0", 257, "ascii");
  header.write("00", 263, "ascii");
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "ascii");
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512, 0);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024, 0)]);
}
