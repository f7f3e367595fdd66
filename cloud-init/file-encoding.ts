/**
 * How a file travels in user-data. Every cloud caps user-data (Hetzner 32 KiB, EC2 16 KB, Azure and
 * DigitalOcean 64 KB) and a workspace host's cloud-config, with the egress proxy, is past Hetzner's cap
 * as plain YAML. cloud-init's own `write_files` encoding `gz+b64` shrinks the larger files (scripts,
 * rulesets) to about a third; small files stay plain text, readable in the cloud console, where base64
 * would make them longer. Compression is deterministic (no timestamp, a fixed OS byte), so the same
 * config renders the same bytes on every machine and `pulumi preview` shows no diff.
 */
import { gunzipSync, gzipSync } from "node:zlib";

/** Files at least this long (UTF-8 bytes) are written `gz+b64`. */
export const COMPRESS_FILES_FROM_BYTES = 1024;

/** gzip's header byte 9 names the OS zlib was built for (3 on Linux, 19 on macOS): fixed to "Unix". */
const GZIP_OS_BYTE = 9;
const GZIP_OS_UNIX = 3;

/** gzip that gives the same bytes for the same input on every platform. */
export function deterministicGzip(data: Buffer): Buffer {
  const packed = gzipSync(data, { level: 9 });
  packed[GZIP_OS_BYTE] = GZIP_OS_UNIX;
  return packed;
}

/** A `write_files` entry's content and encoding, as cloud-init decodes it. */
export interface EncodedContent {
  content: string;
  encoding?: "gz+b64";
}

export function encodeFileContent(content: string): EncodedContent {
  const bytes = Buffer.from(content, "utf8");
  if (bytes.length < COMPRESS_FILES_FROM_BYTES) return { content };
  return { content: deterministicGzip(bytes).toString("base64"), encoding: "gz+b64" };
}

/** The text cloud-init writes for an entry (for readers of rendered user-data: tests, doctor, reviews). */
export function decodeFileContent(entry: { content?: unknown; encoding?: unknown }): string {
  const content = typeof entry.content === "string" ? entry.content : "";
  if (entry.encoding === undefined || entry.encoding === "text/plain") return content;
  if (entry.encoding === "gz+b64" || entry.encoding === "gzip+base64") return gunzipSync(Buffer.from(content, "base64")).toString("utf8");
  if (entry.encoding === "b64" || entry.encoding === "base64") return Buffer.from(content, "base64").toString("utf8");
  throw new Error(`write_files encoding "${String(entry.encoding)}" is not one sandfleet renders`);
}
