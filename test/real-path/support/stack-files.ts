/**
 * Every stack file a user runs: the shipped `Pulumi.<stack>.yaml` at the repository root and the minimal
 * stack file each provider README tells users to copy. Both tiers (mocks and the real language-host path)
 * and `npm run bench:plan` read the list from here.
 */
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

export const repoRoot = join(__dirname, "..", "..", "..");

export interface StackFile {
  /** The stack name (`pulumi up -s <stack>`). */
  stack: string;
  /** Where the file lives, for messages: `Pulumi.dev.yaml` or `components/aws/README.md`. */
  source: string;
  /** The file's `config:` map as written (objects and arrays as YAML values). */
  config: Record<string, unknown>;
  /**
   * Config the user sets beside the file, as the file's comments or the README say
   * (`pulumi config set --secret hcloud:token ...`): placeholders here, always secret.
   */
  secrets: Record<string, string>;
}

/** Credentials the stack files' comments tell users to set as secrets; placeholders, never real tokens. */
function secretsFor(config: Record<string, unknown>): Record<string, string> {
  const providers = new Set<string>([String(config["sandfleet:provider"])]);
  const pools = (config["sandfleet:pools"] ?? {}) as Record<string, { provider?: string }>;
  for (const pool of Object.values(pools)) if (pool.provider) providers.add(pool.provider);
  const secrets: Record<string, string> = {};
  if (providers.has("hetzner")) secrets["hcloud:token"] = "placeholder-hcloud-token";
  if (providers.has("digitalocean")) secrets["digitalocean:token"] = "placeholder-digitalocean-token";
  if (config["sandfleet:cloudflare"]) secrets["cloudflare:apiToken"] = "placeholder-cloudflare-token";
  return secrets;
}

function shippedStackFiles(): StackFile[] {
  return readdirSync(repoRoot)
    .filter((f) => /^Pulumi\.[a-z0-9-]+\.yaml$/.test(f))
    .sort()
    .map((file) => {
      const config = (parse(readFileSync(join(repoRoot, file), "utf8")) as { config: Record<string, unknown> }).config;
      return { stack: file.split(".")[1], source: file, config, secrets: secretsFor(config) };
    });
}

/** The README's "Minimal stack file (`Pulumi.<stack>.yaml`)" block, when the README has one. */
function readmeStackFiles(): StackFile[] {
  const componentsDir = join(repoRoot, "components");
  return readdirSync(componentsDir)
    .sort()
    .map((provider) => join("components", provider, "README.md"))
    .filter((readme) => existsSync(join(repoRoot, readme)))
    .flatMap((readme) => {
      const text = readFileSync(join(repoRoot, readme), "utf8");
      const block = /```yaml\n([\s\S]*?)```/.exec(text)?.[1];
      if (!block) return [];
      const config = (parse(block) as { config: Record<string, unknown> }).config;
      const stack = /Pulumi\.([a-z0-9-]+)\.yaml/.exec(text)?.[1] ?? String(config["sandfleet:provider"]);
      return [{ stack, source: readme, config, secrets: secretsFor(config) }];
    });
}

export function allStackFiles(): StackFile[] {
  return [...shippedStackFiles(), ...readmeStackFiles()];
}

/**
 * The config as the CLI hands it to the language host in `PULUMI_CONFIG`: every value a string, objects and
 * arrays JSON-encoded, keys in the `<namespace>:config:<key>` form the Node language host still writes.
 */
export function languageHostConfig(file: StackFile): { config: Record<string, string>; secretKeys: string[] } {
  const config: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...file.config, ...file.secrets })) {
    const [namespace, ...rest] = key.split(":");
    config[`${namespace}:config:${rest.join(":")}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return { config, secretKeys: Object.keys(file.secrets) };
}
