/**
 * Handing sandboxes to acquire() callers, each exactly once. Everything here is synchronous: an idle sandbox is
 * taken and leased in one tick, and a waiter is settled (removed from the queue, its timer cleared) in the same
 * tick it is resolved or rejected, so no sandbox can reach two callers and no caller two sandboxes.
 *
 * A sandbox created for a waiter that has meanwhile timed out is not lost (tarn#67): `deliver` gives it to its
 * own waiter if still waiting, else to the oldest waiter it fits, else parks it as idle.
 */
import type { AcquireRequest } from "./acquire-request";
import { acquireTimeoutError } from "./acquire-timeout";
import { requiredAffinityMatches } from "./affinity";
import type { EndpointSet } from "./endpoint-set";
import type { IdleSandboxes } from "./idle-sandboxes";
import type { LeaseTracker } from "./lease-tracker";
import type { PoolMetrics } from "./metrics";
import type { PlacementRequest } from "./placement";
import type { PooledSandbox } from "./pooled-sandbox";
import type { Sandbox } from "./sandbox";

/** An acquire() that found no idle sandbox and waits for one to be created or freed up. */
export interface Waiter {
  profile: string;
  request: PlacementRequest;
  startedAt: number;
  timeoutMs: number;
  /** Creates started for this waiter and not finished (the refill starts one only when there is none). */
  createsInFlight: number;
  settled: boolean;
  timer: NodeJS.Timeout | undefined;
  lastCreateError: unknown;
  resolve: (sandbox: Sandbox) => void;
  reject: (error: Error) => void;
}

export class HandOut {
  readonly #waiters: Waiter[] = [];

  constructor(
    private readonly idle: IdleSandboxes,
    private readonly leases: LeaseTracker,
    private readonly endpoints: EndpointSet,
    private readonly metrics: PoolMetrics,
    private readonly now: () => number,
    /** Starts creates for waiters at once (synchronously). */
    private readonly startCreatesForWaiters: () => void,
    /** Something changed that the refill should look at (soon, not now). */
    private readonly refillSoon: () => void,
    /** A sandbox was handed out: its replacement may wait for the holder's first command (refillAfterHandOutMs). */
    private readonly refillAfterHandOut: () => void = refillSoon,
  ) {}

  /** Waiting acquires, oldest first (the live queue: settling a waiter removes it). */
  get waiters(): readonly Waiter[] {
    return this.#waiters;
  }

  /** An idle sandbox at once when one matches, else a place in the queue until `timeoutMs`. */
  acquire({ profile, request, timeoutMs }: AcquireRequest, startedAt: number): Promise<Sandbox> {
    const idle = this.idle.take(profile, request);
    if (idle) return Promise.resolve(this.#lease(idle, startedAt));

    return new Promise<Sandbox>((resolve, reject) => {
      const waiter: Waiter = {
        profile,
        request,
        startedAt,
        timeoutMs,
        createsInFlight: 0,
        settled: false,
        timer: undefined,
        lastCreateError: undefined,
        resolve,
        reject,
      };
      waiter.timer = setTimeout(() => this.#expire(waiter), timeoutMs);
      this.#waiters.push(waiter);
      this.startCreatesForWaiters();
    });
  }

  /** Gives the waiter an idle sandbox that appeared for it (e.g. its endpoint came back); false if none. */
  serveFromIdle(waiter: Waiter): boolean {
    const idle = this.idle.take(waiter.profile, waiter.request);
    if (!idle) return false;
    this.#settle(waiter);
    waiter.resolve(this.#lease(idle, waiter.startedAt));
    return true;
  }

  /** A new sandbox goes to its own waiter, else the oldest matching waiter, else the idle list. */
  deliver(pooled: PooledSandbox, origin: Waiter | undefined): void {
    const fits = (w: Waiter) => !w.settled && w.profile === pooled.profile && requiredAffinityMatches(w.request.affinity, pooled.entry.labels);
    const waiter = origin && fits(origin) ? origin : this.#waiters.find(fits);
    if (waiter) {
      this.#settle(waiter);
      waiter.resolve(this.#lease(pooled, waiter.startedAt));
    } else {
      this.idle.park(pooled, this.now());
    }
    this.refillSoon();
  }

  /** Rejects a waiting acquire at once with an error that waiting cannot mend (see hopeless-acquire.ts). */
  fail(waiter: Waiter, error: Error): void {
    if (waiter.settled) return;
    this.#settle(waiter);
    this.metrics.acquireDuration.observe({ profile: waiter.profile, outcome: error.name }, (this.now() - waiter.startedAt) / 1000);
    this.metrics.errors.inc({ endpoint: "", kind: "acquire-failed" });
    waiter.reject(error);
  }

  /** Rejects every waiting acquire (close). */
  rejectAll(error: () => Error): void {
    for (const waiter of [...this.#waiters]) {
      this.#settle(waiter);
      waiter.reject(error());
    }
  }

  #lease(pooled: PooledSandbox, startedAt: number): Sandbox {
    const sandbox = this.leases.start(pooled);
    this.metrics.acquireDuration.observe({ profile: pooled.profile, outcome: "ok" }, (sandbox.leasedAt.getTime() - startedAt) / 1000);
    this.refillAfterHandOut();
    return sandbox;
  }

  #expire(waiter: Waiter): void {
    if (waiter.settled) return;
    this.#settle(waiter);
    const error = acquireTimeoutError(waiter, this.endpoints);
    this.metrics.acquireDuration.observe({ profile: waiter.profile, outcome: error.name }, (this.now() - waiter.startedAt) / 1000);
    this.metrics.errors.inc({ endpoint: "", kind: "acquire-timeout" });
    waiter.reject(error);
  }

  #settle(waiter: Waiter): void {
    waiter.settled = true;
    if (waiter.timer) clearTimeout(waiter.timer);
    const i = this.#waiters.indexOf(waiter);
    if (i >= 0) this.#waiters.splice(i, 1);
  }
}
