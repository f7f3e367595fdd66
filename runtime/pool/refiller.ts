/**
 * Keeps sandboxes coming: starts a create for every waiting acquire that has none in flight, then tops each
 * profile's warm pool up to minIdle. Placement bounds both (capacity, maxConcurrentCreatesPerEndpoint shared by
 * the two, the per-endpoint circuit breaker), so calling this often is cheap and never over-creates.
 *
 * Runs as a macrotask when merely scheduled: the caller that just got a sandbox runs first (and can send its
 * first command) before the refill does the synchronous part of starting creates (request building, TLS
 * socket setup). After a hand-out it may wait longer (refillAfterHandOutMs) for a caller a round trip away.
 */
import type { EndpointSet } from "./endpoint-set";
import type { HandOut, Waiter } from "./hand-out";
import type { IdleSandboxes } from "./idle-sandboxes";
import type { SandboxCreator } from "./sandbox-creator";

export class Refiller {
  #scheduled: "soon" | "later" | undefined;
  #later: NodeJS.Timeout | undefined;

  constructor(
    private readonly minIdle: Readonly<Record<string, number>>,
    private readonly profiles: readonly string[],
    private readonly handOut: HandOut,
    private readonly idle: IdleSandboxes,
    private readonly endpoints: EndpointSet,
    private readonly creator: SandboxCreator,
    private readonly isClosing: () => boolean,
    /** See PoolOptions.refillAfterHandOutMs. */
    private readonly afterHandOutMs = 0,
  ) {}

  /** Runs the refill on the next macrotask (once, however often it is asked for before then; sooner than a pending {@link scheduleAfterHandOut}). */
  schedule(): void {
    if (this.#scheduled === "soon" || this.isClosing()) return;
    clearTimeout(this.#later);
    this.#scheduled = "soon";
    setImmediate(() => this.#fire());
  }

  /** After a hand-out: runs the refill afterHandOutMs from now, unless something schedules it sooner. */
  scheduleAfterHandOut(): void {
    if (this.afterHandOutMs <= 0) return this.schedule();
    if (this.#scheduled || this.isClosing()) return;
    this.#scheduled = "later";
    this.#later = setTimeout(() => this.#fire(), this.afterHandOutMs);
    this.#later.unref();
  }

  #fire(): void {
    if (this.#scheduled === undefined) return; // a "later" superseded by a "soon" that already ran
    clearTimeout(this.#later);
    this.#scheduled = undefined;
    this.run();
  }

  /**
   * Starts creates for waiters that have none in flight (or fails those that only persistent failures stand in
   * the way of: a wrong CA, a missing image), then tops every profile up to minIdle. Synchronous.
   */
  run(): void {
    if (this.isClosing()) return;
    // A copy: serving or failing a waiter removes it from the live queue.
    for (const waiter of [...this.handOut.waiters]) {
      if (waiter.settled || waiter.createsInFlight > 0) continue;
      // An idle sandbox may have appeared for it (e.g. its endpoint came back).
      if (this.handOut.serveFromIdle(waiter)) continue;
      const hopeless = this.endpoints.hopeless(waiter.profile, waiter.request);
      if (hopeless) {
        this.handOut.fail(waiter, hopeless);
        continue;
      }
      const entry = this.endpoints.place(waiter.profile, waiter.request) ?? (this.#evictIdleFor(waiter) ? this.endpoints.place(waiter.profile, waiter.request) : undefined);
      if (entry) this.creator.start(entry, waiter.profile, waiter);
    }
    for (const profile of this.profiles) this.#topUp(profile);
  }

  /** Idle + refills in flight up to minIdle (waiters' creates are not counted). */
  #topUp(profile: string): void {
    const want = this.minIdle[profile] ?? 0;
    // Idle sandboxes parked on an endpoint that does not take work (outage grace, draining) cannot be handed
    // out: replace them elsewhere rather than letting the warm pool shrink.
    const have = this.idle.readyCount(profile) + this.creator.refillsInFlight(profile);
    for (let deficit = want - have; deficit > 0; deficit--) {
      const entry = this.endpoints.place(profile, {});
      if (!entry) return;
      this.creator.start(entry, profile, undefined);
    }
  }

  /**
   * When a waiter cannot be placed only because capacity is taken by idle sandboxes it cannot use (another
   * profile, or endpoints outside its affinity), destroys the oldest such idle sandbox to make room — otherwise
   * warm pools of one profile could starve every other profile forever.
   */
  #evictIdleFor(waiter: Waiter): boolean {
    const decision = this.endpoints.decide(this.endpoints.matching(waiter.profile, waiter.request), waiter.request);
    const atMaxTotal = Object.values(decision.rejected).includes("max-total");
    return this.idle.evictOldest((pooled) => atMaxTotal || decision.rejected[pooled.entry.id] === "full");
  }
}
