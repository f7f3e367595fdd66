/**
 * `sandfleet keys create|list|revoke --config FILE`: API keys of the sandbox service, managed on the platform
 * itself by opening the service's database (the config's dataDir) directly, next to the running service (SQLite
 * WAL: both may write). The created key is printed once; only its hash is stored. Needs Node 22.5+ (node:sqlite).
 */
import type { CliCommand } from "../main";
import { CliIo, CliUsageError, parseCommandOptions } from "../io";
import { renderTable } from "../table";
import { readServiceConfigFile } from "../../service/config";
import { ApiKeyRecord, ApiKeys } from "../../service/db/api-keys";
import { openServiceDatabase } from "../../service/db/database";

const usage = `usage: sandfleet keys create --config FILE --name NAME [--admin] [--concurrent N] [--max-lease-ms MS] [--rps N] [--json]
       sandfleet keys list --config FILE [--json]
       sandfleet keys revoke --config FILE --key ID_OR_NAME

API keys of the sandbox service, on the platform server (the service's config is
/etc/sandfleet/service.json there). 'create' prints the key once: store it, it cannot be shown again.
Limits default to the config's defaultLimits.

  --config FILE      the service's config file (sandfleet-service --config FILE)
  --name NAME        a name for the key (who or what uses it)
  --admin            the key may create, list and revoke keys over the API
  --concurrent N     sandboxes the key may hold at once
  --max-lease-ms MS  longest lease the key may ask for
  --rps N            requests per second
  --key ID_OR_NAME   the key to revoke (its id, e.g. key_3f2a..., or its name)
`;

function positive(value: string | undefined, option: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new CliUsageError(`${option} must be a positive number, got "${value}"`);
  return n;
}

function row(k: ApiKeyRecord): string[] {
  return [k.id, k.name, k.admin ? "yes" : "", String(k.limits.concurrentSandboxes), String(k.limits.maxLeaseMs), String(k.limits.requestsPerSecond), k.createdAt.toISOString(), k.revokedAt?.toISOString() ?? ""];
}

export const keysCommand: CliCommand = {
  summary: "create, list or revoke API keys of the sandbox service (on the platform)",
  usage,
  async run(args: string[], io: CliIo): Promise<number> {
    const [action, ...rest] = args;
    if (!action || !["create", "list", "revoke"].includes(action)) throw new CliUsageError(`say what to do: create, list or revoke (got "${action ?? ""}")`);
    const values = parseCommandOptions(rest, {
      config: { type: "string" },
      name: { type: "string" },
      admin: { type: "boolean", default: false },
      concurrent: { type: "string" },
      "max-lease-ms": { type: "string" },
      rps: { type: "string" },
      key: { type: "string" },
      json: { type: "boolean", default: false },
    });
    if (!values.config) throw new CliUsageError("--config FILE is required (the service's config, /etc/sandfleet/service.json on the platform)");
    const config = readServiceConfigFile(values.config);
    const db = openServiceDatabase(config.dataDir);
    try {
      const keys = new ApiKeys(db);
      if (action === "create") {
        if (!values.name) throw new CliUsageError("--name NAME is required");
        const limits = { ...config.defaultLimits };
        const concurrent = positive(values.concurrent, "--concurrent");
        const maxLease = positive(values["max-lease-ms"], "--max-lease-ms");
        const rps = positive(values.rps, "--rps");
        if (concurrent !== undefined) limits.concurrentSandboxes = Math.floor(concurrent);
        if (maxLease !== undefined) limits.maxLeaseMs = Math.floor(maxLease);
        if (rps !== undefined) limits.requestsPerSecond = rps;
        const { key, record } = keys.create(values.name, limits, { admin: values.admin });
        if (values.json) io.out(`${JSON.stringify({ key, id: record.id, name: record.name, admin: record.admin, limits: record.limits })}\n`);
        else io.out(`${key}\n`);
        io.err(`created ${record.id} (${record.name}); the key above is shown only this once\n`);
        return 0;
      }
      if (action === "list") {
        const all = keys.list();
        if (values.json) io.out(`${JSON.stringify(all)}\n`);
        else io.out(renderTable(["ID", "NAME", "ADMIN", "CONCURRENT", "MAX LEASE MS", "RPS", "CREATED", "REVOKED"], all.map(row)));
        return 0;
      }
      if (!values.key) throw new CliUsageError("--key ID_OR_NAME is required");
      const revoked = keys.revoke(values.key);
      if (!revoked) {
        io.err(`sandfleet keys revoke: no key "${values.key}"; 'sandfleet keys list --config ${values.config}' shows them\n`);
        return 1;
      }
      io.out(`revoked ${revoked.id} (${revoked.name})\n`);
      return 0;
    } finally {
      db.close();
    }
  },
};
