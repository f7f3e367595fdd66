/**
 * `sandfleet shell --api URL`: an interactive shell (a PTY) in a fresh sandbox of the sandbox service, over its
 * WebSocket (cli/shell-session.ts: raw local terminal, SIGWINCH, piped stdin). Exits with the shell's exit code and
 * releases the sandbox.
 */
import type { CliCommand } from "../main";
import { CliIo, parseCommandOptions } from "../io";
import { API_OPTIONS, API_OPTIONS_USAGE, apiClientFromOptions } from "../api-option";
import { runShellSession, shellSize } from "../shell-session";

const usage = `usage: sandfleet shell --api URL [--profile NAME] [--cols N --rows N] [--ca FILE] [--key-file FILE]

Opens /bin/sh with a terminal in a new sandbox of the sandfleet service; 'exit' ends it and releases the sandbox.

${API_OPTIONS_USAGE}
  --cols N, --rows N  terminal size when stdin is not a terminal (default 80x24)
`;

export const shellCommand: CliCommand = {
  summary: "interactive shell in a sandbox of the sandbox service",
  usage,
  async run(args: string[], io: CliIo): Promise<number> {
    const values = parseCommandOptions(args, { ...API_OPTIONS, cols: { type: "string" }, rows: { type: "string" } });
    const api = apiClientFromOptions(values);
    const { tty, cols, rows } = shellSize(values);
    const sandbox = await api.createSandbox(values.profile ? { profile: values.profile } : {});
    try {
      return await runShellSession(api.shellConnection(sandbox.id, cols, rows), io, tty, "sandbox");
    } finally {
      await api.releaseSandbox(sandbox.id).catch(() => undefined);
      api.close();
    }
  },
};
