/**
 * Reads a `Pulumi.<stack>.yaml` file into the typed stack config, without the Pulumi engine, for commands
 * that plan rather than deploy (`sandfleet cost`). The stack name comes from the file name.
 *
 * Encrypted values (`{ secure: v1:... }`) cannot be decrypted here and are not needed to plan: they are
 * left out (with the deploy key's public half, which only goes together with its private half).
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { parse } from "yaml";
import { parseStackConfig, type StackConfig } from "../stacks/config";

/** The file is missing, is not YAML, or is not a stack file. */
export class StackFileError extends Error {
  override readonly name = "StackFileError";
}

export function stackNameOf(file: string): string {
  const match = /^Pulumi\.(.+)\.ya?ml$/.exec(basename(file));
  if (!match) throw new StackFileError(`${file}: not a stack file; expected a name like Pulumi.prod.yaml`);
  return match[1];
}

export function readStackFile(file: string): StackConfig {
  const stack = stackNameOf(file);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new StackFileError(`${file}: cannot read it: ${(error as Error).message}`);
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new StackFileError(`${file}: cannot read it as YAML: ${(error as Error).message}`);
  }
  const config = (document as { config?: unknown } | null)?.config;
  if (!config || typeof config !== "object") throw new StackFileError(`${file}: has no 'config:' map; is it a Pulumi stack file?`);
  return parseStackConfig(withoutEncryptedValues(config as Record<string, unknown>), stack);
}

function withoutEncryptedValues(config: Record<string, unknown>): Record<string, unknown> {
  const plain: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    const encrypted = value !== null && typeof value === "object" && "secure" in (value as object);
    if (!encrypted) plain[key] = value;
  }
  if (!("sandfleet:deployPrivateKey" in plain)) delete plain["sandfleet:deployPublicKey"];
  return plain;
}
