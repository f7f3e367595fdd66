/**
 * `sandfleet workspaces create|list|start|stop|exec|shell|cp|snapshot|restore|delete --api URL`: persistent
 * workspaces of the sandbox service, as a client of its API (the key's own workspaces only). `exec`, `shell` and
 * `cp` start a stopped workspace; exec streams its output as `sandfleet exec` does, shell is `sandfleet shell`'s.
 * `cp` of a directory goes through the archive routes as a tar, packed and unpacked here by the system's `tar`.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
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
       sandfleet workspaces cp NAME LOCAL :/PATH | :/PATH LOCAL --api URL
       sandfleet workspaces snapshot NAME --out FILE.tar --api URL
       sandfleet workspaces restore NAME --from FILE.tar [--quota-gb N] --api URL
       sandfleet workspaces delete NAME [--keep-data] --api URL

Persistent workspaces: a data volume on one host, mounted at /workspace, and a container that is stopped and
started around it. 'exec', 'shell' and 'cp' start a stopped workspace first; exec streams CMD's output and exits
with its exit code (124 when it ran out of time); cp copies a file or a directory in (LOCAL :/PATH) or out
(:/PATH LOCAL); a directory's contents go into the target directory, created if missing.
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

/** A local directory's contents as a tar (entries `./...`), what the archive route unpacks into its path. */
function packDirectory(dir: string): Buffer {
  return execFileSync("tar", ["-cf", "-", "-C", dir, "."], { maxBuffer: 1 << 30 });
}

/** Unpacks an archive route's tar into a local directory (created if missing), owned by whoever runs the CLI. */
function unpackDirectory(tar: Buffer, dir: string): void {
  mkdirSync(dir, { recursive: true });
  execFileSync("tar", ["-xf", "-", "-C", dir, "--no-same-owner"], { input: tar, maxBuffer: 1 << 30 });
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
        throw new CliUsageError("workspaces cp NAME takes LOCAL :/PATH (copy in) or :/PATH LOCAL (copy out); LOCAL is a file or a directory");
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
            if (statSync(from).isDirectory()) {
              const tar = packDirectory(from);
              await api.workspacePutArchive(name!, to.slice(1), tar);
              io.err(`copied directory ${from} (${tar.length} bytes of tar) into ${name}:${to.slice(1)}\n`);
              return 0;
            }
            const content = readFileSync(from);
            await api.workspacePutFile(name!, to.slice(1), content);
            io.err(`copied ${content.length} bytes to ${name}:${to.slice(1)}\n`);
            return 0;
          }
          const remote = from.slice(1);
          const content = await api.workspaceGetFile(name!, remote).catch(async (err: unknown) => {
            // Not a regular file there: a directory comes as a tar (a path that is neither fails below).
            if ((err as { status?: number }).status !== 404 || (err as { code?: string }).code !== "NOT_FOUND") throw err;
            return undefined;
          });
          if (content) {
            writeFileSync(to, content);
            io.err(`copied ${content.length} bytes to ${to}\n`);
            return 0;
          }
          const tar = await api.workspaceGetArchive(name!, remote).catch((err: unknown) => {
            if ((err as { status?: number }).status === 404) throw new Error(`${name}:${remote} is neither a file nor a directory in the workspace`);
            throw err;
          });
          unpackDirectory(tar, to);
          io.err(`copied directory ${name}:${remote} (${tar.length} bytes of tar) into ${to}\n`);
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
