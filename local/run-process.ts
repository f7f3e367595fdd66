/**
 * Runs a program to completion without blocking the event loop (the asynchronous counterpart of spawnSync):
 * stdin from a string, stdout and stderr collected as text, killed after `timeout` ms.
 *
 * Why not spawnSync: a minute-long synchronous run (debootstrap, a post-boot script under load) freezes every timer
 * and socket of the process meanwhile: `npm start`'s progress lines stop, and a vitest worker misses its RPC
 * deadline to the main process ("Timeout calling onTaskUpdate"), which ends the whole test run.
 */
import { spawn } from "node:child_process";

export interface ProcessRun {
  /** The exit code; null when the process was killed (by the timeout or a signal). */
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

export interface RunProcessOptions {
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Milliseconds until SIGKILL. @default no limit */
  timeout?: number;
}

export function runProcess(command: string, args: readonly string[], options: RunProcessOptions = {}): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env, cwd: options.cwd, stdio: ["pipe", "pipe", "pipe"] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let timedOut = false;
    const timer = options.timeout
      ? setTimeout(() => {
          timedOut = true;
          child.kill("SIGKILL");
        }, options.timeout)
      : undefined;
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve({ status, signal, stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8"), timedOut });
    });
    // A program that exits without reading its stdin makes the write fail with EPIPE: not an error of the run.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.input ?? "");
  });
}
