/**
 * One interactive shell over the service's shell WebSocket, for `sandfleet shell` (a new sandbox) and `sandfleet
 * workspaces shell NAME`: the local terminal goes raw while connected and its size follows SIGWINCH; without a
 * terminal (stdin piped) lines are sent as they are and piped input that ends sends Ctrl-D. Resolves with the
 * shell's exit code.
 */
import WebSocket from "ws";
import type { ShellConnection } from "../runtime/api/client";
import type { ShellServerMessage } from "../runtime/api/schemas";
import { CliIo, CliUsageError } from "./io";

/** The terminal size to ask for: the local terminal's, else --cols/--rows (default 80x24). */
export function shellSize(values: { cols?: string; rows?: string }): { tty: boolean; cols: number; rows: number } {
  const tty = process.stdin.isTTY === true && process.stdout.isTTY === true;
  if (tty) return { tty, cols: process.stdout.columns, rows: process.stdout.rows };
  return { tty, cols: size(values.cols, "--cols", 80), rows: size(values.rows, "--rows", 24) };
}

function size(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1000) throw new CliUsageError(`${name} must be a whole number from 1 to 1000, got "${value}"`);
  return n;
}

export function runShellSession(connection: ShellConnection, io: CliIo, tty: boolean, what: string): Promise<number> {
  const stdin = process.stdin;
  const socket = new WebSocket(connection.url, { headers: connection.headers, ...(connection.ca ? { ca: connection.ca } : {}) });
  const send = (message: unknown) => socket.readyState === socket.OPEN && socket.send(JSON.stringify(message));
  const onInput = (chunk: Buffer) => send({ type: "stdin", data: chunk.toString("utf8") });
  const onResize = () => send({ type: "resize", cols: process.stdout.columns, rows: process.stdout.rows });
  return new Promise<number>((resolve, reject) => {
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
    socket.once("unexpected-response", (_req, res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        let detail = "";
        try {
          const { error } = JSON.parse(body) as { error: { code: string; message: string; hint: string } };
          detail = `: ${error.code}: ${error.message}; ${error.hint}`;
        } catch {
          detail = `; check the key and the ${what}`;
        }
        reject(new Error(`the service refused the shell (HTTP ${res.statusCode})${detail}`));
      });
    });
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
}
