/**
 * The slow path: one `docker exec` per command (about 85 ms under gVisor), for images without a shell.
 * Output is demultiplexed (Tty false) and the exit code read from `exec.inspect()`, as dockerode needs.
 */
import type { Duplex } from "node:stream";
import type { EndpointClient } from "../docker/endpoint-client";
import { DockerStreamDemuxer } from "../docker/multiplexed-stream";

export interface DockerExecRequest {
  argv: string[];
  env?: Record<string, string>;
  cwd?: string;
  stdin?: Buffer;
  timeoutMs?: number;
  maxOutputBytes: number;
  /** Each demultiplexed chunk as it arrives (streaming). */
  onOutput?: (stream: "stdout" | "stderr", chunk: Buffer) => void;
  /** Aborting ends the wait as a timeout does (the process keeps running: nothing in the container can kill it). */
  signal?: AbortSignal;
}

export interface DockerExecOutcome {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
  timedOut: boolean;
}

export async function dockerExec(client: EndpointClient, containerId: string, request: DockerExecRequest): Promise<DockerExecOutcome> {
  const withStdin = request.stdin !== undefined && request.stdin.length > 0;
  const exec = await client.call("create exec", (docker, abortSignal) =>
    docker.getContainer(containerId).exec({
      Cmd: request.argv,
      AttachStdin: withStdin,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
      Env: Object.entries(request.env ?? {}).map(([k, v]) => `${k}=${v}`),
      ...(request.cwd ? { WorkingDir: request.cwd } : {}),
      abortSignal,
    } as Parameters<ReturnType<typeof docker.getContainer>["exec"]>[0]),
  );
  const stream = (await client.call("start exec", () => exec.start({ hijack: true, stdin: withStdin, Tty: false }))) as Duplex;

  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const size = { stdout: 0, stderr: 0 };
  const demuxer = new DockerStreamDemuxer((which, payload) => {
    request.onOutput?.(which, payload);
    if (size[which] >= request.maxOutputBytes) return;
    size[which] += payload.length;
    (which === "stdout" ? out : err).push(payload);
  });
  const finished = new Promise<boolean>((resolve, reject) => {
    let timer: NodeJS.Timeout | undefined;
    if (request.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        stream.destroy();
        resolve(false);
      }, request.timeoutMs);
    }
    const stop = () => {
      if (timer) clearTimeout(timer);
      stream.destroy();
      resolve(false);
    };
    if (request.signal?.aborted) stop();
    request.signal?.addEventListener("abort", stop, { once: true });
    stream.on("data", (chunk: Buffer) => demuxer.push(chunk));
    stream.on("end", () => {
      if (timer) clearTimeout(timer);
      resolve(true);
    });
    stream.on("close", () => {
      if (timer) clearTimeout(timer);
      resolve(true);
    });
    stream.on("error", (e) => {
      if (timer) clearTimeout(timer);
      reject(e);
    });
  });
  if (withStdin) stream.end(request.stdin);
  const completed = await finished;
  if (!completed) {
    // Without a shell there is nothing in the container to kill the process with; the caller marks the session unhealthy.
    return { stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode: 137, timedOut: true };
  }
  // The stream can end a moment before the daemon records the exit code.
  let inspected = await client.call("inspect exec", () => exec.inspect());
  for (let attempt = 0; inspected.Running && attempt < 50; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    inspected = await client.call("inspect exec", () => exec.inspect());
  }
  return { stdout: Buffer.concat(out), stderr: Buffer.concat(err), exitCode: inspected.ExitCode ?? -1, timedOut: false };
}
