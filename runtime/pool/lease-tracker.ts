/**
 * Sandboxes handed out and not yet released. A lease ends exactly once: by release() (the caller), by
 * maxLeaseMs (reclaimed: the caller's Sandbox then refuses further use), or by close() after its grace period.
 * Ending a lease frees capacity, so it wakes the refill.
 */
import { LeaseOwner, Sandbox } from "./sandbox";
import type { PoolMetrics } from "./metrics";
import type { PooledSandbox } from "./pooled-sandbox";
import type { SandboxRemoval } from "./sandbox-removal";

interface Lease {
  pooled: PooledSandbox;
  timer: NodeJS.Timeout | undefined;
}

export class LeaseTracker {
  readonly #leases = new Map<Sandbox, Lease>();
  /** Set while close() waits for leases to be released. */
  #onLeaseEnded: (() => void) | undefined;

  constructor(
    private readonly owner: LeaseOwner,
    /** 0 = no limit. */
    private readonly maxLeaseMs: number,
    private readonly now: () => number,
    private readonly metrics: PoolMetrics,
    private readonly removal: SandboxRemoval,
    private readonly capacityFreed: () => void,
    /** Called once per lease, as it ends, with the removal of its container (never rejects). */
    private readonly leaseEnded: (sandbox: Sandbox, pooled: PooledSandbox, removed: Promise<void>) => void = () => undefined,
  ) {}

  get size(): number {
    return this.#leases.size;
  }

  /** Every leased sandbox. */
  pooled(): PooledSandbox[] {
    return [...this.#leases.values()].map((l) => l.pooled);
  }

  /** The leased sandboxes on one endpoint. */
  onEndpoint(entry: PooledSandbox["entry"]): Sandbox[] {
    return [...this.#leases].filter(([, lease]) => lease.pooled.entry === entry).map(([sandbox]) => sandbox);
  }

  /** Moves a sandbox (idle or freshly created) into a lease; synchronous. */
  start(pooled: PooledSandbox): Sandbox {
    const now = this.now();
    const maxLeaseMs = this.maxLeaseMs;
    pooled.entry.leased += 1;
    const known = pooled.entry.known.get(pooled.name);
    if (known) known.state = "leased";
    const sandbox = new Sandbox(pooled.session, this.owner, pooled.name, pooled.profile, new Date(now), maxLeaseMs > 0 ? new Date(now + maxLeaseMs) : undefined);
    const lease: Lease = { pooled, timer: undefined };
    if (maxLeaseMs > 0) {
      lease.timer = setTimeout(() => this.reclaim(sandbox, "lease-expired"), maxLeaseMs);
      lease.timer.unref();
    }
    this.#leases.set(sandbox, lease);
    return sandbox;
  }

  /**
   * The caller released the sandbox: it is no longer handed out once this returns; its container is removed in
   * the background (sandbox-removal.ts: close() waits for it, and its slot counts against maxContainers and
   * maxTotal until it is gone). The caller never waits for Docker's removal (about 150 ms under gVisor).
   */
  release(sandbox: Sandbox): Promise<void> {
    const lease = this.#leases.get(sandbox);
    if (!lease) return Promise.resolve();
    this.#end(sandbox, lease);
    this.leaseEnded(sandbox, lease.pooled, this.removal.remove(lease.pooled.entry, lease.pooled.name, lease.pooled.session));
    return Promise.resolve();
  }

  /** Takes the sandbox away from its holder (overdue, or the pool closes) and destroys it. */
  reclaim(sandbox: Sandbox, kind: "lease-expired" | "closed"): Promise<void> {
    const lease = this.#leases.get(sandbox);
    if (!lease || !sandbox.markReclaimed()) return Promise.resolve();
    this.#end(sandbox, lease);
    if (kind === "lease-expired") this.metrics.errors.inc({ endpoint: lease.pooled.entry.id, kind });
    const removed = this.removal.remove(lease.pooled.entry, lease.pooled.name, lease.pooled.session);
    this.leaseEnded(sandbox, lease.pooled, removed);
    return removed;
  }

  /** close(): waits up to graceMs for every lease to be released, then reclaims the rest. */
  async endAll(graceMs: number): Promise<void> {
    if (this.#leases.size === 0) return;
    // Real time (not the injectable clock): this is a wait the caller experiences.
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, graceMs);
      this.#onLeaseEnded = () => {
        if (this.#leases.size > 0) return;
        clearTimeout(timer);
        resolve();
      };
    });
    this.#onLeaseEnded = undefined;
    await Promise.all([...this.#leases.keys()].map((s) => this.reclaim(s, "closed")));
  }

  #end(sandbox: Sandbox, lease: Lease): void {
    this.#leases.delete(sandbox);
    if (lease.timer) clearTimeout(lease.timer);
    lease.pooled.entry.leased -= 1;
    this.#onLeaseEnded?.();
    this.capacityFreed();
  }
}
