/**
 * Runs a command inside a test-host container through the local engine (`docker exec`), for boot
 * progress and checks that must look at the host from the inside (cloud-init status, iptables, ...).
 * SSH is used only where the cloud path uses it (the post-boot step), so this stays a test-host tool.
 */
import { PassThrough } from "node:stream";
import type Docker from "dockerode";

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs `cmd` in `container`, with optional stdin, and returns its output once it exits. */
export async function execInContainer(
  container: Docker.Container,
  cmd: string[],
  options: { stdin?: string; timeoutMs?: number } = {},
): Promise<ExecResult> {
  const exec = await container.exec({
    Cmd: cmd,
    AttachStdout: true,
    AttachStderr: true,
    AttachStdin: options.stdin !== undefined,
    Tty: false,
  });
  const stream = await exec.start({ hijack: true, stdin: options.stdin !== undefined });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on("data", (c: Buffer) => out.push(c));
  stderr.on("data", (c: Buffer) => err.push(c));
  container.modem.demuxStream(stream, stdout, stderr);
  if (options.stdin !== undefined) {
    stream.write(options.stdin);
    // Half-close so the command sees end of input; the hijacked socket stays readable.
    (stream as unknown as { end(): void }).end();
  }
  const timeoutMs = options.timeoutMs ?? 120_000;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`'${cmd.join(" ")}' did not finish within ${timeoutMs} ms`));
    }, timeoutMs);
    stream.on("end", () => {
      clearTimeout(timer);
      resolve();
    });
    stream.on("close", () => {
      clearTimeout(timer);
      resolve();
    });
    stream.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
  const info = await exec.inspect();
  return {
    exitCode: info.ExitCode ?? -1,
    stdout: Buffer.concat(out).toString("utf8"),
    stderr: Buffer.concat(err).toString("utf8"),
  };
}
