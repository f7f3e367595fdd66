/** Reading rendered user-data back: the parsed document and the files it writes. */
import { isMap, isSeq, parse, parseDocument } from "yaml";
import { decodeFileContent } from "../../cloud-init/file-encoding";

export interface RenderedFile {
  path: string;
  content: string;
  owner: string;
  permissions: string;
  /** How the file travelled in user-data ("gz+b64" for larger files); `content` is always the decoded text. */
  encoding?: string;
}

export interface ParsedCloudConfig {
  [key: string]: unknown;
  write_files: RenderedFile[];
  packages: string[];
  bootcmd: string[][];
  runcmd: string[][];
}

/** Parses user-data as cloud-init does (YAML 1.1). */
export function parseUserData(userData: string): ParsedCloudConfig {
  const doc = parse(userData, { version: "1.1" }) as ParsedCloudConfig;
  // What cloud-init writes to disk: gz+b64 entries decoded, as its write_files module does.
  if (Array.isArray(doc?.write_files)) doc.write_files = doc.write_files.map((file) => ({ ...file, content: decodeFileContent(file) }));
  return doc;
}

export function renderedFile(userData: string, path: string): RenderedFile {
  const file = parseUserData(userData).write_files.find((f) => f.path === path);
  if (!file) throw new Error(`the rendered user-data writes no ${path}`);
  return file;
}

/**
 * User-data as a reader sees it once cloud-init decoded it: the same document, comments kept, with every
 * gz+b64 file's text inline in place of its encoding (larger files travel compressed: cloud-init/file-encoding.ts).
 * Assertions about what hosts get, and above all "no private key anywhere", read this, never the compressed bytes.
 */
export function readableUserData(userData: string): string {
  const doc = parseDocument(userData, { version: "1.1" });
  const files = doc.get("write_files");
  if (isSeq(files)) {
    for (const item of files.items) {
      if (!isMap(item) || item.get("encoding") === undefined) continue;
      const text = decodeFileContent({ content: item.get("content"), encoding: item.get("encoding") });
      item.set("content", doc.createNode(text));
      item.delete("encoding");
      item.commentBefore = " sent gz+b64, shown decoded";
    }
  }
  return doc.toString({ lineWidth: 0 }); // the "#cloud-config" line is kept as the document's first comment
}
