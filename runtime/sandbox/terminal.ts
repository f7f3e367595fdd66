/**
 * An interactive terminal in a sandbox: a `docker exec` with a PTY (Tty true, so the stream is raw, not
 * multiplexed), sized at start and resized later through Docker's exec resize, its exit code read from
 * `exec.inspect()` once the stream ends. Used by the service's WebSocket shell; separate from the shell channel,
 * which keeps serving exec() meanwhile.
 *
 * Ending it from the host (`close()`) ends the stream's write side: the program gets EOF on its terminal (an
 * interactive sh exits); processes it put in the background keep running until the sandbox is released.
 */
import type { Duplex } from "node:stream";
import type { EndpointClient } from "../docker/endpoint-client";

export interface TerminalOptions {
  /** @default ["/bin/sh"] */
  argv?: string[];
  cols: number;
  rows: number;
  env?: Record<string, string>;
  cwd?: string;
}

export interface Terminal {
  /** Raw terminal bytes: write keystrokes, read what the PTY prints. */
  readonly stream: Duplex;
  resize(cols: number, rows: number): Promise<void>;
  /** Resolves with the program's exit code once it ended. */
  readonly exited: Promise<number>;
  /** Sends EOF (ends the write side); the stream closes when the program exits. */
  close(): void;
}

export async function openTerminal(client: EndpointClient, containerId: string, options: TerminalOptions): Promise<Terminal> {
  const exec = await client.call("create terminal exec", (docker) =>
    docker.getContainer(containerId).exec({
      Cmd: options.argv ?? ["/bin/sh"],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: true,
      Env: ["TERM=xterm-256color", ...Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`)],
      ...(options.cwd ? { WorkingDir: options.cwd } : {}),
    }),
  );
  const stream = (await client.call("start terminal exec", () => exec.start({ hijack: true, stdin: true, Tty: true }))) as Duplex;
  const resize = (cols: number, rows: number) => client.call("resize terminal", () => exec.resize({ w: cols, h: rows }) as Promise<unknown>).then(() => undefined);
  await resize(options.cols, options.rows);
  const exited = new Promise<void>((resolve) => {
    stream.once("end", resolve);
    stream.once("close", resolve);
    stream.once("error", () => resolve());
  }).then(async () => {
    let inspected = await client.call("inspect terminal exec", () => exec.inspect());
    for (let attempt = 0; inspected.Running && attempt < 50; attempt++) {
      await new Promise((r) => setTimeout(r, 10));
      inspected = await client.call("inspect terminal exec", () => exec.inspect());
    }
    return inspected.ExitCode ?? -1;
  });
  return { stream, resize, exited, close: () => stream.end() };
}
