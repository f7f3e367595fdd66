/**
 * Endpoint health: every endpoint is pinged (`/_ping`) every `healthIntervalMs` under a `healthTimeoutMs`
 * deadline. One failed ping makes a ready endpoint `unresponsive` (no new work; the pool writes its idle
 * sandboxes off); one answered ping re-admits it. `draining` comes from the registry and wins over both:
 * a draining endpoint keeps its leased sandboxes but gets nothing new.
 *
 * A frozen host is therefore marked unresponsive at most healthIntervalMs + healthTimeoutMs after it stops
 * answering (< two intervals, since healthTimeoutMs < healthIntervalMs is enforced by the options).
 */
import { withDeadline } from "../deadline";
import type { EndpointState } from "./placement";

export class EndpointHealth {
  /** Undefined until the first ping settles. */
  private reachable: boolean | undefined;
  consecutiveFailures = 0;
  lastError: string | undefined;
  /** The error of the last failed ping (typed, e.g. TlsHandshakeError), while the endpoint does not answer. */
  lastFailure: unknown;
  lastCheckedAt: number | undefined;
  lastReadyAt: number | undefined;

  /** From the registry; changed by a registry update (or set when the endpoint left the registry). */
  constructor(public draining: boolean) {}

  get state(): EndpointState {
    if (this.draining) return "draining";
    return this.reachable ? "ready" : "unresponsive";
  }

  /** Whether the endpoint answered its last ping (draining endpoints are pinged too, for reconciliation). */
  get answers(): boolean {
    return this.reachable === true;
  }

  /** Records one ping; returns the transition it caused, if any. */
  record(ok: boolean, now: number, error?: unknown): "recovered" | "lost" | undefined {
    const was = this.reachable;
    this.lastCheckedAt = now;
    if (ok) {
      this.reachable = true;
      this.consecutiveFailures = 0;
      this.lastError = undefined;
      this.lastFailure = undefined;
      this.lastReadyAt = now;
      return was === true ? undefined : "recovered";
    }
    this.reachable = false;
    this.consecutiveFailures += 1;
    this.lastError = error instanceof Error ? error.message : String(error);
    this.lastFailure = error;
    return was === false ? undefined : "lost";
  }
}

export interface PingTarget {
  id: string;
  ping(timeoutMs: number): Promise<void>;
}

/** Runs the periodic pings; one round at a time per endpoint (a ping still in flight is not doubled). */
export class HealthMonitor {
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<string>();

  constructor(
    private readonly targets: () => readonly PingTarget[],
    private readonly intervalMs: number,
    private readonly timeoutMs: number,
    private readonly onResult: (id: string, ok: boolean, error?: unknown) => void,
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.checkAll(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Pings every endpoint once, concurrently; resolves when every ping settled (each bounded by the deadline). */
  async checkAll(): Promise<void> {
    await Promise.all(this.targets().map((t) => this.check(t)));
  }

  private async check(target: PingTarget): Promise<void> {
    if (this.inFlight.has(target.id)) return;
    this.inFlight.add(target.id);
    try {
      // The client's own deadline aborts the request; the outer race guards against a client that ignores it.
      const ms = this.timeoutMs + 250;
      await withDeadline(target.ping(this.timeoutMs), ms, `ping ${target.id}: no answer within ${ms} ms`);
      this.onResult(target.id, true);
    } catch (err) {
      this.onResult(target.id, false, err);
    } finally {
      this.inFlight.delete(target.id);
    }
  }
}
