/**
 * `sandfleet workspaces create|list|start|stop|exec|shell|cp|snapshot|restore|delete --api URL`: persistent
 * workspaces of the sandbox service, as a client of its API (the key's own workspaces only). `exec`, `shell` and
 * `cp` start a stopped workspace; exec streams its output as `sandfleet exec` does, shell is `sandfleet shell`'s.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { CliCommand } from "../main";
import { CliIo, CliUsageError, parseCommandOptions } from "../io";
import { API_OPTIONS, API_OPTIONS_USAGE, apiClientFromOptions, splitCommand } from "../api-option";
import { parsePositiveMs } from "../registry-option";
import { renderTable } from "../table";
import { runShellSession, shellSize } from "../shell-session";
import type { WorkspaceBody } from "../../runtime/api/schemas";

const usage = `usage: sandfleet workspaces create NAME [--quota-gb N] [--label K=V ...] [--profile NAME] --api URL
       sandfleet workspaces list [--json] --api URL
       sandfleet workspaces start|stop NAME --api URL
       sandfleet workspaces exec NAME [--timeout MS] --api URL -- CMD [ARGS...]
       sandfleet workspaces shell NAME [--cols N --rows N] --api URL
       sandfleet workspaces cp NAME LOCAL_FILE :/PATH | :/PATH LOCAL_FILE --api URL
       sandfleet workspaces snapshot NAME --out FILE.tar --api URL
       sandfleet workspaces restore NAME --from FILE.tar [--quota-gb N] --api URL
       sandfleet workspaces delete NAME [--keep-data] --api URL

Persistent workspaces: a data volume on one host, mounted at /workspace, and a container that is stopped and
started around it. 'exec', 'shell' and 'cp' start a stopped workspace first; exec streams CMD's output and exits
with its exit code (124 when it ran out of time); cp copies one file in (LOCAL :/PATH) or out (:/PATH LOCAL).
'delete' removes the data unless --keep-data. See docs/workspaces.md.

${API_OPTIONS_USAGE}
  --quota-gb N     disk quota in GB (default 10; 0 = none)
  --label K=V      a label of the workspace (repeatable)
  --json           list as JSON
  --timeout MS     exec: kill CMD after this long
  --cols N, --rows N  shell: terminal size when stdin is not a terminal (default 80x24)
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
  cols: { type: "string" },
  rows: { type: "string" },
} as const;

const ACTIONS = ["create", "list", "start", "stop", "exec", "shell", "cp", "snapshot", "restore", "delete"];

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
  summary: "persistent workspaces of the sandbox service (create, list, start, stop, exec, shell, cp, snapshot, restore, delete)",
  usage,
  async run(args: string[], io: CliIo): Promise<number> {
    const [action, ...rest] = args;
    const needsName = action !== "list";
    const name = needsName ? rest[0] : undefined;
    if (!action || !ACTIONS.includes(action)) throw new CliUsageError(`unknown action "${action ?? ""}"; one of ${ACTIONS.join(", ")}`);
    if (needsName && (!name || name.startsWith("-"))) throw new CliUsageError(`workspaces ${action} needs the workspace's NAME first`);
    let afterName = needsName ? rest.slice(1) : rest;
    let copy: { from: string; to: string } | undefined;
    if (action === "cp") {
      const [from, to] = afterName;
      if (!from || !to || from.startsWith("-") || to.startsWith("-") || from.startsWith(":") === to.startsWith(":")) {
        throw new CliUsageError("workspaces cp NAME takes LOCAL_FILE :/PATH (copy in) or :/PATH LOCAL_FILE (copy out)");
      }
      copy = { from, to };
      afterName = afterName.slice(2);
    }
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
          const timeoutMs = values.timeout === undefined ? undefined : parsePositiveMs(values.timeout, "--timeout", 1);
          let exitCode = 1;
          for await (const event of api.workspaceExecStream(name!, { argv: command, ...(timeoutMs ? { timeoutMs } : {}) })) {
            if (event.type === "stdout") io.out(event.data);
            else if (event.type === "stderr") io.err(event.data);
            else if (event.type === "exit") exitCode = event.timedOut ? 124 : event.exitCode;
            else throw new Error(`${event.error.code}: ${event.error.message}; ${event.error.hint}`);
          }
          return exitCode;
        }
        case "shell": {
          const { tty, cols, rows } = shellSize(values);
          return await runShellSession(api.workspaceShellConnection(name!, cols, rows), io, tty, "workspace");
        }
        case "cp": {
          const { from, to } = copy!;
          if (to.startsWith(":")) {
            const content = readFileSync(from);
            await api.workspacePutFile(name!, to.slice(1), content);
            io.err(`copied ${content.length} bytes to ${name}:${to.slice(1)}\n`);
          } else {
            const content = await api.workspaceGetFile(name!, from.slice(1));
            writeFileSync(to, content);
            io.err(`copied ${content.length} bytes to ${to}\n`);
          }
          return 0;
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
