/**
 * Re-attaching a sandbox's shell after its attach stream was cut while the container kept running.
 *
 * dockerd restarts with live-restore (certificate rotation re-runs the post-boot script, which restarts
 * dockerd; Docker package upgrades) keep every container running — and the shell's stdin open, since sandboxes
 * are created with `OpenStdin: true, StdinOnce: false` — but cut every attach stream. Until the deadline:
 * 1. inspect the container: it must still run (stopped or removed ends the attempt at once, no retry);
 * 2. open a new attach stream;
 * 3. if a command was in flight when the old stream broke, interrupt it (SIGUSR1: the shell's trap kills every
 *    other process in the container, as on a timeout): its end was never seen, so it must not run on unseen;
 * 4. run the probe program: the shell runs programs in order, so its end markers arrive after anything printed
 *    before (the interrupted command's tail), which the probe swallows; the next command starts clean.
 * While dockerd is still down, steps fail with "not reachable" and are retried with a growing pause.
 */
import type { Duplex } from "node:stream";
import { withDeadline } from "../deadline";
import type { EndpointClient } from "../docker/endpoint-client";
import { ChannelLostListener, ShellChannel } from "./shell-channel";
import { INTERRUPT_SIGNAL, newNonce, renderProbeProgram } from "./shell-program";

export interface ReattachRequest {
  containerId: string;
  maxOutputBytes: number;
  /** Epoch ms after which the attempt gives up. */
  deadline: number;
  /** A command was in flight when the stream broke: interrupt it before the channel is used again. */
  interruptInFlight: boolean;
  /** Listener of the new channel (the next loss starts the next re-attach). */
  onLost: ChannelLostListener;
  /** True once the session is destroyed: stop at the next step. */
  cancelled: () => boolean;
}

/** First pause between attempts while the daemon does not answer; doubled per attempt up to the maximum. */
const FIRST_PAUSE_MS = 200;
const MAX_PAUSE_MS = 2_000;

/** The container is gone or stopped: re-attaching cannot help. */
class ContainerGoneError extends Error {}

/** Opens a working channel on the still-running container, or throws an Error saying why it could not. */
export async function reattachShell(client: EndpointClient, request: ReattachRequest): Promise<ShellChannel> {
  const remaining = () => request.deadline - Date.now();
  let lastError: unknown;
  for (let attempt = 0; ; attempt++) {
    if (request.cancelled()) throw new Error("the sandbox was destroyed while re-attaching");
    if (remaining() <= 0) {
      throw new Error(`its container could not be re-attached before the deadline (last error: ${describe(lastError)})`);
    }
    try {
      return await attemptReattach(client, request, remaining);
    } catch (err) {
      if (err instanceof ContainerGoneError) throw err;
      lastError = err;
    }
    const pause = Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * 2 ** attempt, Math.max(0, remaining()));
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

async function attemptReattach(client: EndpointClient, request: ReattachRequest, remaining: () => number): Promise<ShellChannel> {
  const { containerId } = request;
  const callTimeout = () => Math.max(1, Math.min(client.callTimeoutMs, remaining()));
  let info;
  try {
    info = await client.call("inspect container", (docker, abortSignal) => docker.getContainer(containerId).inspect({ abortSignal } as object), callTimeout());
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) throw new ContainerGoneError("its container no longer exists");
    throw err;
  }
  if (!info.State.Running) {
    const why = info.State.OOMKilled ? "killed for exceeding its memory limit" : `exit code ${info.State.ExitCode}`;
    throw new ContainerGoneError(`its container stopped (${info.State.Status}, ${why})`);
  }
  const stream = (await client.call(
    "attach container",
    (docker) => docker.getContainer(containerId).attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true }),
    callTimeout(),
  )) as Duplex;
  const channel = new ShellChannel(stream, request.maxOutputBytes, request.onLost);
  try {
    if (request.cancelled()) throw new Error("the sandbox was destroyed while re-attaching");
    if (request.interruptInFlight) {
      await client.call("signal sandbox shell", (docker) => docker.getContainer(containerId).kill({ signal: INTERRUPT_SIGNAL }), callTimeout());
    }
    const nonce = newNonce();
    const probeMs = callTimeout();
    await withDeadline(channel.run(renderProbeProgram(nonce), nonce), probeMs, `the shell did not answer on the new attach stream within ${probeMs} ms`);
    return channel;
  } catch (err) {
    channel.close("re-attach attempt failed");
    throw err;
  }
}

function describe(err: unknown): string {
  if (err === undefined) return "none";
  return err instanceof Error ? err.message : String(err);
}
