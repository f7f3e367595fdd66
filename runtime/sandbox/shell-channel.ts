/**
 * The persistent attach stream into a sandbox's shell: programs go in on stdin, output comes back multiplexed.
 * One command at a time (the session serialises); the channel only frames, it never interprets output.
 *
 * A channel is one stream: when the stream is cut from the far side (dockerd restarted, connection reset) the
 * channel is dead for good and reports it through `onLost`; the session may then open a new channel on the same
 * container (see reattach.ts). A command in flight at that moment rejects with {@link ChannelLostError}.
 */
import type { Duplex } from "node:stream";
import { DockerStreamDemuxer } from "../docker/multiplexed-stream";
import { EndMarkerScanner } from "./end-marker";
import { markerPrefix, MARKER_TRAILER_LENGTH, parseTrailer } from "./shell-program";

export interface ChannelRunResult {
  stdout: Buffer;
  stderr: Buffer;
  exitCode: number;
  timedOut: boolean;
  /** The command did not end within the host-side deadline; the channel is closed and unusable. */
  abandoned: boolean;
}

export interface RunTimeout {
  ms: number;
  /** Asks the sandbox to end the command (SIGUSR1 to the shell). */
  interrupt: () => Promise<void>;
  /** How long to wait for the end markers after the interrupt. */
  graceMs: number;
}

/** The attach stream was cut from the far side (not closed by the host); the command's end was never seen. */
export class ChannelLostError extends Error {
  override name = "ChannelLostError";
}

/** Why the stream ended, and whether a command was running then (its outcome is unknown). */
export type ChannelLostListener = (reason: string, commandInFlight: boolean) => void;

interface PendingRun {
  stdout: EndMarkerScanner;
  stderr: EndMarkerScanner;
  resolve: (result: ChannelRunResult) => void;
  reject: (err: Error) => void;
  timer?: NodeJS.Timeout;
  onOutput?: (stream: "stdout" | "stderr", chunk: Buffer) => void;
}

export class ShellChannel {
  private pending: PendingRun | undefined;
  private brokenReason: string | undefined;
  private readonly demuxer: DockerStreamDemuxer;

  constructor(
    private readonly stream: Duplex,
    private readonly maxOutputBytes: number,
    /** Called once when the stream is cut from the far side (never after {@link close}). */
    private readonly onLost?: ChannelLostListener,
  ) {
    this.demuxer = new DockerStreamDemuxer((which, payload) => this.onOutput(which, payload));
    stream.on("data", (chunk: Buffer) => this.demuxer.push(chunk));
    stream.on("error", (err) => this.lose(`attach stream failed: ${err.message}`));
    stream.on("end", () => this.lose("the sandbox's shell ended (attach stream closed)"));
    stream.on("close", () => this.lose("attach stream closed"));
  }

  get open(): boolean {
    return this.brokenReason === undefined;
  }

  get closedReason(): string | undefined {
    return this.brokenReason;
  }

  /**
   * Writes one program and resolves when both end markers have arrived. After `timeout.ms` it calls
   * `timeout.interrupt()` (the host signals the shell, whose trap kills the command); if the markers still do
   * not arrive within `timeout.graceMs`, the channel is closed and the result is `abandoned`.
   */
  run(program: string, nonce: string, timeout?: RunTimeout, onOutput?: PendingRun["onOutput"]): Promise<ChannelRunResult> {
    if (this.brokenReason) return Promise.reject(new Error(this.brokenReason));
    if (this.pending) return Promise.reject(new Error("the shell channel runs one command at a time"));
    const prefix = Buffer.from(markerPrefix(nonce), "latin1");
    return new Promise<ChannelRunResult>((resolve, reject) => {
      const pending: PendingRun = {
        stdout: new EndMarkerScanner(prefix, MARKER_TRAILER_LENGTH, this.maxOutputBytes),
        stderr: new EndMarkerScanner(prefix, MARKER_TRAILER_LENGTH, this.maxOutputBytes),
        resolve,
        reject,
        onOutput,
      };
      if (timeout) {
        pending.timer = setTimeout(() => {
          if (this.pending !== pending) return;
          timeout.interrupt().catch(() => undefined);
          pending.timer = setTimeout(() => abandon(), timeout.graceMs);
        }, timeout.ms);
      }
      const abandon = () => {
        if (this.pending !== pending) return;
        this.pending = undefined;
        resolve({
          stdout: pending.stdout.partial(),
          stderr: pending.stderr.partial(),
          exitCode: 137,
          timedOut: true,
          abandoned: true,
        });
        this.close("a command outlived its timeout and could not be killed inside the sandbox");
      };
      this.pending = pending;
      this.stream.write(program);
    });
  }

  /** Closes the attach stream. The container's stdin stays open (StdinOnce is false), so the shell lives on. */
  close(reason = "closed"): void {
    this.break(reason);
    this.stream.destroy();
  }

  private onOutput(which: "stdout" | "stderr", payload: Buffer): void {
    const pending = this.pending;
    // Output outside a command (a process the last command left behind) belongs to no one: drop it.
    if (!pending) return;
    pending[which].push(payload);
    if (pending.onOutput) {
      const released = pending[which].takeReleasable(payload);
      if (released.length) pending.onOutput(which, released);
    }
    const out = pending.stdout.done;
    const err = pending.stderr.done;
    if (!out || !err) return;
    this.pending = undefined;
    if (pending.timer) clearTimeout(pending.timer);
    try {
      const { exitCode, timedOut } = parseTrailer(out.trailer);
      pending.resolve({ stdout: out.output, stderr: err.output, exitCode, timedOut, abandoned: false });
    } catch (e) {
      pending.reject(e as Error);
    }
  }

  /** The far side cut the stream. The owner hears of it before the command's rejection is handled (a microtask later). */
  private lose(reason: string): void {
    if (this.brokenReason) return;
    const commandInFlight = this.pending !== undefined;
    this.break(reason, new ChannelLostError(reason));
    this.onLost?.(reason, commandInFlight);
  }

  private break(reason: string, error: Error = new Error(reason)): void {
    if (this.brokenReason) return;
    this.brokenReason = reason;
    const pending = this.pending;
    this.pending = undefined;
    if (pending) {
      if (pending.timer) clearTimeout(pending.timer);
      pending.reject(error);
    }
  }
}
