/**
 * Creating one sandbox on a chosen endpoint: counts it as `creating` (so placement sees the capacity and the
 * per-endpoint create limit it takes), feeds the endpoint's circuit breaker, and hands the result on. A create
 * is bounded twice: the session enforces createTimeoutMs, and an outer guard covers a layer that hangs anyway;
 * a session arriving after the guard fired, or while the pool closes or the endpoint stopped taking work, is
 * destroyed rather than leaked.
 */
import { randomBytes } from "node:crypto";
import { ImageNotFoundError } from "../errors";
import type { BackgroundWork } from "./background-work";
import type { EndpointEntry } from "./endpoint-entry";
import type { Waiter } from "./hand-out";
import { poolLabels } from "./labels";
import type { PoolMetrics } from "./metrics";
import type { ResolvedPoolOptions } from "./options";
import type { OtherPoolsCounter } from "./other-pools";
import type { PooledSandbox } from "./pooled-sandbox";
import type { SandboxRemoval } from "./sandbox-removal";
import type { PoolEndpointClient, StartSession } from "./session";

interface CreateJob {
  client: PoolEndpointClient;
  name: string;
  profile: string;
  entry: EndpointEntry;
  /** The waiter it was started for; undefined for a refill. */
  origin: Waiter | undefined;
}

export interface SandboxCreatorContext {
  poolId: string;
  options: ResolvedPoolOptions;
  startSession: StartSession;
  now: () => number;
  metrics: PoolMetrics;
  background: BackgroundWork;
  removal: SandboxRemoval;
  isClosing: () => boolean;
  /** Re-counts other pools' containers on the endpoint right before a create (shared capacity). */
  otherPools: OtherPoolsCounter;
  /** A running sandbox: hand it out or park it. */
  created: (pooled: PooledSandbox, origin: Waiter | undefined) => void;
  /** Run the refill (soon): a create failed, or its endpoint's back-off ended. */
  refillSoon: () => void;
}

export class SandboxCreator {
  readonly #jobs = new Set<CreateJob>();

  constructor(private readonly context: SandboxCreatorContext) {}

  /** Creates for the profile that no waiting acquire is counting on: they will end up idle. */
  refillsInFlight(profile: string): number {
    let n = 0;
    for (const job of this.#jobs) if (job.profile === profile && (!job.origin || job.origin.settled)) n += 1;
    return n;
  }

  /** Clients the creates in flight on the endpoint use. */
  clientsInUse(entry: EndpointEntry): PoolEndpointClient[] {
    return [...this.#jobs].filter((job) => job.entry === entry).map((job) => job.client);
  }

  start(entry: EndpointEntry, profile: string, origin: Waiter | undefined): void {
    const { poolId, options, metrics, now } = this.context;
    const name = `sf-${poolId}-${randomBytes(6).toString("hex")}`;
    const client = entry.client;
    const job: CreateJob = { client, name, profile, entry, origin };
    const startedAt = now();
    entry.creating += 1;
    entry.known.set(name, { profile, state: "creating" });
    entry.breaker.onStart(startedAt);
    this.#jobs.add(job);
    if (origin) origin.createsInFlight += 1;

    const labels = poolLabels(poolId, profile, entry.id, new Date(startedAt));
    const { createTimeoutMs, callTimeoutMs, endpointOutageGraceMs } = options;
    const done = (outcome: string) => {
      entry.creating -= 1;
      this.#jobs.delete(job);
      if (origin) origin.createsInFlight -= 1;
      metrics.createDuration.observe({ endpoint: entry.id, profile, outcome }, (now() - startedAt) / 1000);
    };
    // The session enforces createTimeoutMs itself; this outer guard only protects against a layer that hangs,
    // and a session that still arrives after it is destroyed, not leaked.
    let guardFired = false;
    let releaseGuard: () => void = () => undefined;
    const guardFiredPromise = new Promise<void>((resolve) => (releaseGuard = resolve));
    const guard = setTimeout(() => {
      guardFired = true;
      releaseGuard();
      done("timeout");
      entry.known.delete(name);
      this.#failed(entry, profile, origin, new Error(`create on ${entry.id} did not finish within ${createTimeoutMs + callTimeoutMs} ms`));
    }, createTimeoutMs + callTimeoutMs);
    guard.unref();

    const chain = this.context.otherPools
      .refresh(entry)
      .then(() => {
        // Another pool took the slot since placement chose this endpoint: call the create off, no harm to the endpoint.
        if (entry.total + entry.otherPools > entry.maxContainers) throw new EndpointFullNow();
        return this.context.startSession(client, options.profiles[profile]!, labels, { name, timeoutMs: createTimeoutMs, reattachTimeoutMs: endpointOutageGraceMs });
      })
      .then(
        (session) => {
          if (guardFired) return this.context.removal.remove(entry, name, session);
          clearTimeout(guard);
          done("ok");
          entry.breaker.onSuccess();
          entry.missingImages.delete(profile);
          const known = entry.known.get(name);
          if (known) known.containerId = session.containerId;
          const pooled: PooledSandbox = { session, client, name, profile, entry, idleSince: now() };
          if (this.context.isClosing() || entry.health.state !== "ready") {
            // Nobody may get it: the pool is closing, or the endpoint was written off, set draining or removed
            // from the registry while this was starting.
            return this.context.removal.remove(entry, name, session);
          }
          this.context.created(pooled, origin);
          return undefined;
        },
        (err: unknown) => {
          if (guardFired) return;
          clearTimeout(guard);
          entry.known.delete(name);
          if (err instanceof EndpointFullNow) {
            done("full");
            entry.breaker.onCancel();
            return; // the next refill places elsewhere, or waits for a slot (releases wake it)
          }
          done("error");
          this.#failed(entry, profile, origin, err);
        },
      );
    // close() waits for this; a create that hangs past the guard must not hang close() with it.
    void this.context.background.track(Promise.race([chain, guardFiredPromise]));
  }

  #failed(entry: EndpointEntry, profile: string, origin: Waiter | undefined, err: unknown): void {
    const now = this.context.now();
    this.context.metrics.errors.inc({ endpoint: entry.id, kind: "create-failed" });
    if (origin) origin.lastCreateError = err;
    if (err instanceof ImageNotFoundError) {
      // Only this profile is affected: placement skips the endpoint for it, while the breaker (which would back
      // the endpoint off for every profile) stays out of it. Other endpoints, or a fast failure, come next.
      entry.missingImages.set(profile, err);
      this.context.refillSoon();
      return;
    }
    entry.breaker.onFailure(now, err);
    // Containers a failed create may have left (the session removes its own; this is the safety net).
    entry.needsReconcile = true;
    const retryAt = entry.breaker.retryAt();
    if (retryAt > now) {
      const t = setTimeout(() => this.context.refillSoon(), retryAt - now + 5);
      t.unref();
    } else {
      this.context.refillSoon();
    }
  }
}

/** The endpoint filled up (other pools' containers) between placement and create. */
class EndpointFullNow extends Error {}
