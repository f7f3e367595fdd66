/**
 * `sandfleet workspaces create|list|start|stop|exec|snapshot|restore|delete --api URL`: persistent workspaces of the
 * sandbox service, as a client of its API (the key's own workspaces only). `exec` starts a stopped workspace.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { CliCommand } from "../main";
import { CliIo, CliUsageError, parseCommandOptions } from "../io";
import { API_OPTIONS, API_OPTIONS_USAGE, apiClientFromOptions, splitCommand } from "../api-option";
import { renderTable } from "../table";
import type { WorkspaceBody } from "../../runtime/api/schemas";

const usage = `usage: sandfleet workspaces create NAME [--quota-gb N] [--label K=V ...] [--profile NAME] --api URL
       sandfleet workspaces list [--json] --api URL
       sandfleet workspaces start|stop NAME --api URL
       sandfleet workspaces exec NAME --api URL -- CMD [ARGS...]
       sandfleet workspaces snapshot NAME --out FILE.tar --api URL
       sandfleet workspaces restore NAME --from FILE.tar [--quota-gb N] --api URL
       sandfleet workspaces delete NAME [--keep-data] --api URL

Persistent workspaces: a data volume on one host, mounted at /workspace, and a container that is stopped and
started around it. 'exec' starts a stopped workspace first and exits with CMD's exit code. 'delete' removes the
data unless --keep-data. See docs/workspaces.md.

${API_OPTIONS_USAGE}
  --quota-gb N     disk quota in GB (default 10; 0 = none)
  --label K=V      a label of the workspace (repeatable)
  --json           list as JSON
`;

const OPTIONS = {
  ...API_OPTIONS,
  "quota-gb": { type: "string" },
  label: { type: "string", multiple: true },
  json: { type: "boolean" },
  "keep-data": { type: "boolean" },
  out: { type: "string" },
  from: { type: "string" },
  timeout: { type: "string" },
} as const;

function quota(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new CliUsageError(`--quota-gb must be a whole number of GB (0 = no quota), got "${value}"`);
  return Number(value);
}

function labels(values: string[] | undefined): Record<string, string> | undefined {
  if (!values?.length) return undefined;
  return Object.fromEntries(
    values.map((v) => {
      const at = v.indexOf("=");
      if (at <= 0) throw new CliUsageError(`--label takes KEY=VALUE, got "${v}"`);
      return [v.slice(0, at), v.slice(at + 1)];
    }),
  );
}

const row = (w: WorkspaceBody) => [w.name, w.state, w.endpointId, w.profile, String(w.quotaGb), w.lastActivityAt, w.reason ?? ""];

export const workspacesCommand: CliCommand = {
  summary: "persistent workspaces of the sandbox service (create, list, start, stop, exec, snapshot, restore, delete)",
  usage,
  async run(args: string[], io: CliIo): Promise<number> {
    const [action, ...rest] = args;
    const needsName = action !== "list";
    const name = needsName ? rest[0] : undefined;
    if (!action || !["create", "list", "start", "stop", "exec", "snapshot", "restore", "delete"].includes(action)) {
      throw new CliUsageError(`unknown action "${action ?? ""}"; one of create, list, start, stop, exec, snapshot, restore, delete`);
    }
    if (needsName && (!name || name.startsWith("-"))) throw new CliUsageError(`workspaces ${action} needs the workspace's NAME first`);
    const afterName = needsName ? rest.slice(1) : rest;
    const { options, command } = action === "exec" ? splitCommand(afterName, usage) : { options: afterName, command: [] };
    const values = parseCommandOptions(options, OPTIONS);
    const api = apiClientFromOptions(values);
    try {
      switch (action) {
        case "create": {
          const q = quota(values["quota-gb"]);
          const l = labels(values.label as string[] | undefined);
          const w = await api.createWorkspace({ name: name!, ...(values.profile ? { profile: values.profile } : {}), ...(q !== undefined ? { quotaGb: q } : {}), ...(l ? { labels: l } : {}) });
          io.out(`${w.name} ${w.state} on ${w.endpointId} (data at ${w.mountPath})\n`);
          return 0;
        }
        case "list": {
          const { workspaces } = await api.listWorkspaces();
          if (values.json) io.out(`${JSON.stringify(workspaces, null, 2)}\n`);
          else io.out(renderTable(["NAME", "STATE", "ENDPOINT", "PROFILE", "QUOTA_GB", "LAST_ACTIVITY", "REASON"], workspaces.map(row)));
          return 0;
        }
        case "start":
        case "stop": {
          const w = action === "start" ? await api.startWorkspace(name!) : await api.stopWorkspace(name!);
          io.out(`${w.name} ${w.state}\n`);
          return 0;
        }
        case "exec": {
          const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
          const result = await api.workspaceExec(name!, { argv: command, ...(timeoutMs ? { timeoutMs } : {}) });
          io.out(result.stdout);
          io.err(result.stderr);
          return result.timedOut ? 124 : result.exitCode;
        }
        case "snapshot": {
          if (!values.out) throw new CliUsageError("workspaces snapshot needs --out FILE.tar");
          const tar = await api.snapshotWorkspace(name!);
          writeFileSync(values.out, tar, { mode: 0o600 });
          io.err(`wrote ${tar.length} bytes to ${values.out}\n`);
          return 0;
        }
        case "restore": {
          if (!values.from) throw new CliUsageError("workspaces restore needs --from FILE.tar (a snapshot)");
          const q = quota(values["quota-gb"]);
          const w = await api.restoreWorkspace(name!, readFileSync(values.from), { ...(values.profile ? { profile: values.profile } : {}), ...(q !== undefined ? { quotaGb: q } : {}) });
          io.out(`${w.name} ${w.state} on ${w.endpointId} (restored from ${values.from})\n`);
          return 0;
        }
        case "delete": {
          await api.deleteWorkspace(name!, { keepData: values["keep-data"] === true });
          io.out(`deleted ${name}${values["keep-data"] ? " (data kept on its host)" : ""}\n`);
          return 0;
        }
      }
      return 2;
    } finally {
      api.close();
    }
  },
};
