/**
 * Denied egress, seen without anyone asking: the workspace host's proxy appends each refusal to the sandbox's
 * denial log (egress-host.ts), and the pool reads that log for every leased sandbox with egress on each health
 * round of its endpoint (one archive read per sandbox and round, never two at once), once more after the
 * sandbox's removal (so what it tried in its last moments is not lost), and whenever its holder calls
 * `Sandbox.egressDenials()`. Every read, whichever path made it, goes through {@link EgressDenialWatch.record}:
 * the log only grows, so the lines beyond the count already seen are the new ones, counted once in the metrics
 * and announced once to the `pool.onEgressDenied()` listeners (the sandbox service writes them to its audit log).
 * A failed read is counted (`errors{kind="egress-read-failed"}`) and retried next round; it never fails a lease.
 */
import type { EgressDenial } from "../sandbox/egress-host";
import type { BackgroundWork } from "./background-work";
import type { EndpointEntry } from "./endpoint-entry";
import type { PoolMetrics } from "./metrics";
import type { Sandbox } from "./sandbox";

/**
 * Called with the denials of a sandbox that nobody was told about before, oldest first (possibly after the
 * sandbox's release: the final read follows its removal). A listener that throws is counted and ignored.
 */
export type EgressDeniedListener = (sandbox: Sandbox, denials: EgressDenial[]) => void;

export class EgressDenialWatch {
  /** Per sandbox: lines of its log already counted and announced (kept as long as the Sandbox object lives). */
  readonly #seen = new WeakMap<Sandbox, number>();
  /** Reads in flight, so a slow host never gets a second read of the same log stacked on the first. */
  readonly #reading = new Map<Sandbox, Promise<void>>();
  /** Sandboxes whose read failure was already reported as a process warning (once each, then only counted). */
  readonly #warned = new WeakSet<Sandbox>();
  readonly #listeners = new Set<EgressDeniedListener>();

  constructor(
    private readonly poolId: string,
    private readonly metrics: PoolMetrics,
    private readonly background: BackgroundWork,
    /** Whether the sandbox has a denial log at all (its profile's egress is not `none`). */
    private readonly hasEgress: (sandbox: Sandbox) => boolean,
  ) {}

  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: EgressDeniedListener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** The result of one read of the sandbox's log (from any path): counts and announces the lines not seen yet. */
  record(sandbox: Sandbox, denials: readonly EgressDenial[]): void {
    const seen = this.#seen.get(sandbox) ?? 0;
    if (denials.length <= seen) return;
    const fresh = denials.slice(seen);
    this.#seen.set(sandbox, denials.length);
    this.metrics.egressDenied.inc({ endpoint: sandbox.endpointId, profile: sandbox.profile }, fresh.length);
    for (const listener of this.#listeners) {
      try {
        listener(sandbox, fresh);
      } catch {
        this.metrics.errors.inc({ endpoint: sandbox.endpointId, kind: "egress-listener-failed" });
      }
    }
  }

  /** A health round of the endpoint answered: one read per leased sandbox with egress there (skipped while one is in flight). */
  poll(sandboxes: Iterable<Sandbox>): void {
    for (const sandbox of sandboxes) {
      if (!this.hasEgress(sandbox) || this.#reading.has(sandbox)) continue;
      void this.#read(sandbox);
    }
  }

  /**
   * The lease ended: one last read once the container is gone (`removed` settled), after any read in flight. It
   * counts as a removal of the endpoint still in flight (`entry.destroying`), so the client it reads through is
   * not closed under it; the pool's close() waits for it (background work).
   */
  finish(sandbox: Sandbox, entry: EndpointEntry, removed: Promise<void>): void {
    if (!this.hasEgress(sandbox)) return;
    const before = this.#reading.get(sandbox) ?? Promise.resolve();
    const last: Promise<void> = Promise.all([removed, before])
      .then(() => this.#read(sandbox))
      .finally(() => entry.destroying.delete(last));
    entry.destroying.add(last);
    void this.background.track(last);
  }

  /** Reads in flight (tests and checkHealth() wait for them). */
  async settled(): Promise<void> {
    await Promise.all([...this.#reading.values()]);
  }

  /** One read; never rejects. */
  #read(sandbox: Sandbox): Promise<void> {
    const reading: Promise<void> = this.#readOnce(sandbox).finally(() => {
      if (this.#reading.get(sandbox) === reading) this.#reading.delete(sandbox);
    });
    this.#reading.set(sandbox, reading);
    return this.background.track(reading);
  }

  async #readOnce(sandbox: Sandbox): Promise<void> {
    try {
      const denials = (await sandbox.session.egressDenials?.()) ?? [];
      this.record(sandbox, denials);
    } catch (err) {
      this.metrics.errors.inc({ endpoint: sandbox.endpointId, kind: "egress-read-failed" });
      if (this.#warned.has(sandbox)) return;
      this.#warned.add(sandbox);
      process.emitWarning(
        `sandfleet pool ${this.poolId}: cannot read the egress denial log of sandbox ${sandbox.name} on ${sandbox.endpointId} (${(err as Error).message}); retried each health round, further failures only counted (sandfleet_pool_errors_total{kind="egress-read-failed"})`,
        { code: "SANDFLEET_EGRESS_READ_FAILED" },
      );
    }
  }
}
