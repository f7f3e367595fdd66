/**
 * `sandfleet shell --api URL`: an interactive shell (a PTY) in a fresh sandbox of the sandbox service, over its
 * WebSocket. The local terminal goes raw while connected and its size follows SIGWINCH; without a terminal
 * (stdin piped) lines are sent as they are and the size comes from --cols/--rows. Exits with the shell's exit
 * code and releases the sandbox.
 */
import WebSocket from "ws";
import type { ShellServerMessage } from "../../runtime/api/schemas";
import type { CliCommand } from "../main";
import { CliIo, CliUsageError, parseCommandOptions } from "../io";
import { API_OPTIONS, API_OPTIONS_USAGE, apiClientFromOptions } from "../api-option";

const usage = `usage: sandfleet shell --api URL [--profile NAME] [--cols N --rows N] [--ca FILE] [--key-file FILE]

Opens /bin/sh with a terminal in a new sandbox of the sandfleet service; 'exit' ends it and releases the sandbox.

${API_OPTIONS_USAGE}
  --cols N, --rows N  terminal size when stdin is not a terminal (default 80x24)
`;

function size(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new CliUsageError(`${name} must be a whole number from 1 to 1000, got "${value}"`);
  return n;
}

export const shellCommand: CliCommand = {
  summary: "interactive shell in a sandbox of the sandbox service",
  usage,
  async run(args: string[], io: CliIo): Promise<number> {
    const values = parseCommandOptions(args, { ...API_OPTIONS, cols: { type: "string" }, rows: { type: "string" } });
    const api = apiClientFromOptions(values);
    const stdin = process.stdin;
    const tty = stdin.isTTY === true && process.stdout.isTTY === true;
    const cols = tty ? process.stdout.columns : size(values.cols, "--cols", 80);
    const rows = tty ? process.stdout.rows : size(values.rows, "--rows", 24);
    const sandbox = await api.createSandbox(values.profile ? { profile: values.profile } : {});
    try {
      const connection = api.shellConnection(sandbox.id, cols, rows);
      const socket = new WebSocket(connection.url, { headers: connection.headers, ...(connection.ca ? { ca: connection.ca } : {}) });
      const send = (message: unknown) => socket.readyState === socket.OPEN && socket.send(JSON.stringify(message));
      const onInput = (chunk: Buffer) => send({ type: "stdin", data: chunk.toString("utf8") });
      const onResize = () => send({ type: "resize", cols: process.stdout.columns, rows: process.stdout.rows });
      return await new Promise<number>((resolve, reject) => {
        let exitCode = 1;
        socket.once("open", () => {
          if (tty) {
            stdin.setRawMode(true);
            process.stdout.on("resize", onResize);
          }
          stdin.on("data", onInput);
          // Piped input that ends: Ctrl-D, the terminal's EOF, so the shell exits as it would at a keyboard.
          if (!tty) stdin.once("end", () => send({ type: "stdin", data: "\x04" }));
          stdin.resume();
        });
        socket.on("message", (raw) => {
          const message = JSON.parse(raw.toString()) as ShellServerMessage;
          if (message.type === "stdout") io.out(message.data);
          else if (message.type === "exit") exitCode = message.exitCode;
          else io.err(`sandfleet shell: ${message.error.code}: ${message.error.message}; ${message.error.hint}\n`);
        });
        socket.once("unexpected-response", (_req, res) => reject(new Error(`the service refused the shell (HTTP ${res.statusCode}); check the key and the sandbox`)));
        socket.once("error", reject);
        socket.once("close", () => {
          stdin.off("data", onInput);
          stdin.pause();
          if (tty) {
            stdin.setRawMode(false);
            process.stdout.off("resize", onResize);
          }
          resolve(exitCode);
        });
      });
    } finally {
      await api.releaseSandbox(sandbox.id).catch(() => undefined);
      api.close();
    }
  },
};
