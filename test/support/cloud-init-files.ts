/** Reading rendered user-data back: the parsed document and the files it writes. */
import { parse } from "yaml";

export interface RenderedFile {
  path: string;
  content: string;
  owner: string;
  permissions: string;
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
  return parse(userData, { version: "1.1" }) as ParsedCloudConfig;
}

export function renderedFile(userData: string, path: string): RenderedFile {
  const file = parseUserData(userData).write_files.find((f) => f.path === path);
  if (!file) throw new Error(`the rendered user-data writes no ${path}`);
  return file;
}
