/**
 * The options shared by the commands that are clients of the sandbox service (`exec --api`, `shell --api`): the
 * URL, the key and the CA. The key comes from the environment or a file, never from the command line, where any
 * user of the machine would see it in the process list.
 */
import { readFileSync } from "node:fs";
import { SandboxApiClient } from "../runtime/api/client";
import { CliUsageError } from "./io";

export const API_OPTIONS = {
  api: { type: "string" },
  "key-file": { type: "string" },
  ca: { type: "string" },
  profile: { type: "string" },
} as const;

export const API_OPTIONS_USAGE = `  --api URL        the sandbox service, https://host:port (or SANDFLEET_API_URL); stack output serviceUrl
  --key-file FILE  a file holding the API key; default: the SANDFLEET_API_KEY variable (stack output serviceApiKey)
  --ca FILE        CA of the service's certificate when it is not publicly trusted (or SANDFLEET_API_CA)
  --profile NAME   sandbox profile (default: the service's default profile)`;

export function apiClientFromOptions(values: { api?: string; "key-file"?: string; ca?: string }, env = process.env): SandboxApiClient {
  const url = values.api ?? env.SANDFLEET_API_URL;
  if (!url) throw new CliUsageError("--api URL is required (or set SANDFLEET_API_URL), e.g. --api https://203.0.113.7");
  const key = values["key-file"] ? readFileSync(values["key-file"], "utf8").trim() : env.SANDFLEET_API_KEY;
  if (!key) throw new CliUsageError("no API key: set SANDFLEET_API_KEY (pulumi stack output serviceApiKey --show-secrets) or pass --key-file FILE");
  const caFile = values.ca ?? env.SANDFLEET_API_CA;
  return new SandboxApiClient({ url, key, ...(caFile ? { ca: readFileSync(caFile) } : {}) });
}

/** Splits `[options] -- command...`; the command is required. */
export function splitCommand(args: string[], usage: string): { options: string[]; command: string[] } {
  const at = args.indexOf("--");
  if (at < 0 || at === args.length - 1) throw new CliUsageError(`the command goes after --, e.g. -- python3 -c 'print(1)'\n${usage}`);
  return { options: args.slice(0, at), command: args.slice(at + 1) };
}
