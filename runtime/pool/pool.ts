/**
 * The pool: warm gVisor sandboxes per profile across every endpoint of the registry.
 *
 * State lives in plain in-memory structures changed only synchronously, so hand-out is exactly-once by
 * construction: an idle sandbox is spliced out of its list in the same tick it is leased, and a freshly created
 * one is given to exactly one waiter or put in exactly one idle list.
 *
 * Flow: acquire() takes an idle sandbox when one matches (no Docker call on that path); otherwise it queues a
 * waiter and the pump starts a create for it (placement: affinity, health, capacity, strategy, power-of-K).
 * Whatever a create yields goes to its own waiter if still waiting, else to the oldest matching waiter, else
 * to the idle list — so a create that finishes after its acquire timed out is never leaked (tarn#67).
 * One refill step per profile keeps idle + in-flight refills at minIdle, bounded per endpoint by
 * maxConcurrentCreatesPerEndpoint (shared with hot-path creates) and by a circuit breaker per endpoint.
 */
import { randomBytes } from "node:crypto";
import {
  AcquireTimeoutError,
  EndpointUnavailableError,
  InvalidAcquireRequestError,
  NoMatchingEndpointError,
  PoolClosedError,
  PoolExhaustedError,
} from "../errors";
import { parseRegistry, readRegistryFile } from "../registry/schema";
import type { Endpoint, EndpointRegistry, RegistryTls } from "../registry/schema";
import { preferredAffinityScore, preferredAffinitySchema, PreferredAffinityTerm, RequiredAffinity, requiredAffinityMatches, requiredAffinitySchema } from "./affinity";
import { CreateCircuitBreaker } from "./circuit-breaker";
import { EndpointHealth, HealthMonitor } from "./health";
import { poolLabels, poolSelector } from "./labels";
import { MetricsSnapshot, PoolMetrics } from "./metrics";
import type { ResolvedPoolOptions } from "./options";
import { endpointMatchLabels, EndpointState, EndpointView, placeSandbox, PlacementRequest, RejectionReason } from "./placement";
import { assertSameStack, planRegistryUpdate, RegistryUpdateResult } from "./registry-update";
import { RegistryFileWatcher } from "./registry-watcher";
import { LeaseOwner, Sandbox } from "./sandbox";
import type { PoolEndpointClient, PoolSession, StartSession } from "./session";

export interface AcquireOptions {
  /** Required endpoint affinity (Kubernetes node-affinity semantics: terms ORed, expressions ANDed). */
  affinity?: RequiredAffinity;
  /** Preferred terms; matching weights add to an endpoint's score (capped). */
  preferred?: PreferredAffinityTerm[];
  /** Profile name. @default the pool's defaultProfile */
  profile?: string;
  /** Deadline of this acquire. @default the pool's acquireTimeoutMs */
  timeoutMs?: number;
}

export interface EndpointStatus {
  idle: number;
  acquired: number;
  creating: number;
  /** Idle or leased sandboxes re-attaching their cut attach stream (a dockerd restart); idle ones are not handed out meanwhile. */
  recovering: number;
  state: EndpointState;
  maxContainers: number;
  /** Why the last ping failed, while unresponsive. */
  lastError?: string;
  /** Create circuit breaker: consecutive failed creates and, while backing off, when the next trial is allowed. */
  createFailures: number;
  backingOffUntil?: string;
  /** The endpoint left the registry: it is dropped once its leased sandboxes are released. */
  removed?: true;
}

export interface RegistryStatus {
  stack: string;
  endpoints: number;
  /** When the registry in use was loaded (createPool or the last successful update). */
  updatedAt: string;
  /** The registry file is watched (watchRegistryFile). */
  watching: boolean;
  /** Why the last reload of the watched file was ignored; cleared by the next successful one. */
  reloadError?: string;
  reloadErrorAt?: string;
}

export interface PoolStatus {
  poolId: string;
  closed: boolean;
  idle: number;
  acquired: number;
  creating: number;
  total: number;
  maxTotal: number;
  /** Acquires waiting for a sandbox. */
  waiting: number;
  /** "ok": every endpoint ready; "degraded": some not ready; "down": none ready. */
  health: "ok" | "degraded" | "down";
  byEndpoint: Record<string, EndpointStatus>;
  registry: RegistryStatus;
}

/** One container the pool knows about (for operators and for the "no unknown container" checks). */
export interface InventoryEntry {
  endpointId: string;
  name: string;
  profile: string;
  state: "idle" | "leased" | "creating";
  containerId?: string;
}

interface Pooled {
  session: PoolSession;
  /** The client the session was created with (an endpoint's client is replaced when its address or TLS changes). */
  client: PoolEndpointClient;
  name: string;
  profile: string;
  entry: EndpointEntry;
  idleSince: number;
}

interface CreateJob {
  client: PoolEndpointClient;
  name: string;
  profile: string;
  entry: EndpointEntry;
  origin: Waiter | undefined;
}

interface Waiter {
  profile: string;
  request: PlacementRequest;
  startedAt: number;
  timeoutMs: number;
  createsInFlight: number;
  settled: boolean;
  timer: NodeJS.Timeout | undefined;
  lastCreateError: unknown;
  resolve: (sandbox: Sandbox) => void;
  reject: (error: Error) => void;
}

interface Lease {
  pooled: Pooled;
  timer: NodeJS.Timeout | undefined;
}

/** One endpoint as the pool tracks it. */
export class EndpointEntry {
  idle = 0;
  leased = 0;
  creating = 0;
  /** Names of every container the pool believes exists here (idle, leased, creating). */
  readonly known = new Map<string, { profile: string; state: InventoryEntry["state"]; containerId?: string }>();
  /** Remove containers of this pool id that the pool does not know, next time the endpoint answers. */
  needsReconcile = true;
  /** When the endpoint stopped answering (its idle sandboxes are written off endpointOutageGraceMs later). */
  lostAt: number | undefined;
  reconciling: Promise<void> | undefined;
  /** Gone from the registry: draining, and dropped from the pool once nothing of it is left. */
  removed = false;
  /** Clients replaced by a registry update, still used by the sessions created with them; closed once unused. */
  retiredClients: PoolEndpointClient[] = [];
  /** Removals in flight (a removed endpoint is dropped only after they settled, as they use its client). */
  readonly destroying = new Set<Promise<void>>();

  /** Fields other than `id`, `health` and `breaker` change with registry updates. */
  constructor(
    readonly id: string,
    public endpoint: Endpoint | undefined,
    public labels: Record<string, string>,
    public weight: number,
    public maxContainers: number,
    public client: PoolEndpointClient,
    readonly health: EndpointHealth,
    readonly breaker: CreateCircuitBreaker,
  ) {}

  get total(): number {
    return this.idle + this.leased + this.creating;
  }
}

export interface PoolInternals {
  options: ResolvedPoolOptions;
  poolId: string;
  registry: EndpointRegistry;
  entries: EndpointEntry[];
  startSession: StartSession;
  now: () => number;
  random: () => number;
  /** Called once close() finished (releases the instance lock). */
  onClosed?: () => void;
  /** Builds the entry of a registry endpoint (client, health, breaker); used again for endpoints a registry update adds. */
  remoteEntry: (endpoint: Endpoint, tls: RegistryTls) => EndpointEntry;
  /** A new client for a registry endpoint (address or TLS material changed). */
  remoteClient: (endpoint: Endpoint, tls: RegistryTls) => PoolEndpointClient;
}

export class Pool implements LeaseOwner {
  readonly poolId: string;
  /** prom-client metrics on the pool's own registry: `await pool.metrics.registry.metrics()`. */
  readonly metrics: PoolMetrics;
  readonly #options: ResolvedPoolOptions;
  readonly #entries: EndpointEntry[];
  readonly #byId = new Map<string, EndpointEntry>();
  readonly #startSession: StartSession;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #onClosed: (() => void) | undefined;
  readonly #remoteEntry: PoolInternals["remoteEntry"];
  readonly #remoteClient: PoolInternals["remoteClient"];
  #registry: EndpointRegistry;
  #registryUpdatedAt: number;
  #registryUpdates: Promise<unknown> = Promise.resolve();
  #reloadError: { message: string; at: number } | undefined;
  #watcher: RegistryFileWatcher | undefined;
  readonly #idle = new Map<string, Pooled[]>();
  readonly #waiters: Waiter[] = [];
  readonly #creates = new Set<CreateJob>();
  readonly #leases = new Map<Sandbox, Lease>();
  readonly #background = new Set<Promise<unknown>>();
  readonly #health: HealthMonitor;
  #maintenance: NodeJS.Timeout | undefined;
  #pumpScheduled = false;
  #closing: Promise<void> | undefined;
  #isClosing = false;
  #leaseReleased: (() => void) | undefined;

  /** @internal use createPool() */
  constructor(internals: PoolInternals) {
    this.#options = internals.options;
    this.poolId = internals.poolId;
    this.#entries = internals.entries;
    for (const e of this.#entries) this.#byId.set(e.id, e);
    this.#startSession = internals.startSession;
    this.#now = internals.now;
    this.#random = internals.random;
    this.#onClosed = internals.onClosed;
    this.#remoteEntry = internals.remoteEntry;
    this.#remoteClient = internals.remoteClient;
    this.#registry = internals.registry;
    this.#registryUpdatedAt = internals.now();
    for (const profile of Object.keys(this.#options.profiles)) this.#idle.set(profile, []);
    for (const e of this.#entries) e.needsReconcile = this.#options.reconcileOnStart;
    this.metrics = new PoolMetrics(this.poolId, () => this.#metricsSnapshot());
    this.#health = new HealthMonitor(
      () => this.#entries.map((e) => ({ id: e.id, ping: (t: number) => e.client.ping(t) })),
      this.#options.healthIntervalMs,
      this.#options.healthTimeoutMs,
      (id, ok, error) => {
        const entry = this.#byId.get(id);
        if (entry) this.#onPing(entry, ok, error); // else dropped while the ping was in flight
      },
    );
  }

  /** @internal first health round, reconciliation of reachable endpoints, then timers and the first refill. */
  async start(): Promise<void> {
    // The first answered ping of each endpoint starts its reconciliation (needsReconcile is set from the start).
    await this.#health.checkAll();
    await Promise.all(this.#entries.map((e) => e.reconciling));
    this.#health.start();
    const tick = Math.min(this.#options.healthIntervalMs, 1_000);
    this.#maintenance = setInterval(() => this.#maintain(), tick);
    this.#maintenance.unref();
    this.#schedulePump();
  }

  // ---------------------------------------------------------------- acquire

  /**
   * Hands out a running sandbox: an idle one at once when one matches, else the first one created for this
   * request (or freed up) before `timeoutMs`. Rejects with PoolClosedError, NoMatchingEndpointError,
   * InvalidAcquireRequestError, PoolExhaustedError or AcquireTimeoutError (with the reason as `cause`).
   */
  acquire(options: AcquireOptions = {}): Promise<Sandbox> {
    if (this.#isClosing) return Promise.reject(new PoolClosedError());
    const startedAt = this.#now();
    let profile: string;
    let request: PlacementRequest;
    let timeoutMs: number;
    try {
      ({ profile, request, timeoutMs } = this.#validateRequest(options));
    } catch (err) {
      return Promise.reject(err);
    }
    const idle = this.#takeIdle(profile, request);
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
      this.#pump();
    });
  }

  #validateRequest(options: AcquireOptions): { profile: string; request: PlacementRequest; timeoutMs: number } {
    if (typeof options !== "object" || options === null) throw new InvalidAcquireRequestError("acquire() takes an options object, e.g. acquire({ profile: 'default' })");
    const unknown = Object.keys(options).filter((k) => !["affinity", "preferred", "profile", "timeoutMs"].includes(k));
    if (unknown.length) throw new InvalidAcquireRequestError(`acquire(): unknown option ${unknown.map((k) => `'${k}'`).join(", ")}; allowed: affinity, preferred, profile, timeoutMs`);
    const profile = options.profile ?? this.#options.defaultProfile;
    if (!this.#options.profiles[profile]) {
      throw new InvalidAcquireRequestError(`acquire(): no profile "${profile}"; the pool has ${Object.keys(this.#options.profiles).join(", ")} (add it to createPool({ profiles }))`);
    }
    const timeoutMs = options.timeoutMs ?? this.#options.acquireTimeoutMs;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new InvalidAcquireRequestError(`acquire(): timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
    if (options.affinity !== undefined) {
      const r = requiredAffinitySchema.safeParse(options.affinity);
      if (!r.success) throw new InvalidAcquireRequestError(`acquire(): invalid affinity: ${r.error.issues.map((i) => `${i.path.join(".") || "affinity"}: ${i.message}`).join("; ")}`);
    }
    if (options.preferred !== undefined) {
      const r = preferredAffinitySchema.safeParse(options.preferred);
      if (!r.success) throw new InvalidAcquireRequestError(`acquire(): invalid preferred affinity: ${r.error.issues.map((i) => `${i.path.join(".") || "preferred"}: ${i.message}`).join("; ")}`);
    }
    const request: PlacementRequest = { affinity: options.affinity, preferred: options.preferred };
    if (!this.#entries.some((e) => this.#staticallyEligible(e, profile, request))) {
      throw new NoMatchingEndpointError(
        `acquire(): no endpoint matches the required affinity ${JSON.stringify(options.affinity)} for profile "${profile}"` +
          ` (endpoints: ${this.#entries.map((e) => `${e.id} ${JSON.stringify(e.endpoint?.labels ?? e.labels)}`).join("; ")}); ` +
          `relax the affinity or add an endpoint with matching labels to the registry`,
      );
    }
    return { profile, request, timeoutMs };
  }

  /** Affinity and runtime, ignoring health and load: could this endpoint ever serve the request? */
  #staticallyEligible(entry: EndpointEntry, profile: string, request: PlacementRequest): boolean {
    if (entry.removed) return false;
    // A gVisor profile never lands on an endpoint the registry declares as runc-only.
    if (entry.endpoint && this.#options.profiles[profile]!.runtime === "runsc" && entry.endpoint.runtime !== "runsc") return false;
    return requiredAffinityMatches(request.affinity, entry.labels);
  }

  #takeIdle(profile: string, request: PlacementRequest): Pooled | undefined {
    const list = this.#idle.get(profile)!;
    let bestIndex = -1;
    let bestScore = -1;
    for (let i = 0; i < list.length; i++) {
      const pooled = list[i]!;
      if (pooled.entry.health.state !== "ready" || !requiredAffinityMatches(request.affinity, pooled.entry.labels)) continue;
      if (!pooled.session.healthy()) {
        list.splice(i--, 1);
        this.#discardIdle(pooled, "unhealthy");
        continue;
      }
      if (pooled.session.recovering?.()) continue; // re-attaching its cut stream: usable again shortly
      const score = preferredAffinityScore(request.preferred, pooled.entry.labels, this.#options.placement.preferredWeightCap);
      if (score > bestScore) {
        bestScore = score;
        bestIndex = i;
        if (!request.preferred) break; // oldest first when nothing is preferred
      }
    }
    if (bestIndex < 0) return undefined;
    const [pooled] = list.splice(bestIndex, 1);
    pooled!.entry.idle -= 1;
    return pooled;
  }

  /** Moves a sandbox (idle or freshly created) into a lease; synchronous. */
  #lease(pooled: Pooled, startedAt: number): Sandbox {
    const now = this.#now();
    const maxLeaseMs = this.#options.maxLeaseMs;
    pooled.entry.leased += 1;
    const known = pooled.entry.known.get(pooled.name);
    if (known) known.state = "leased";
    const sandbox = new Sandbox(pooled.session, this, pooled.name, pooled.profile, new Date(now), maxLeaseMs > 0 ? new Date(now + maxLeaseMs) : undefined);
    const lease: Lease = { pooled, timer: undefined };
    if (maxLeaseMs > 0) {
      lease.timer = setTimeout(() => this.#reclaim(sandbox, "lease-expired"), maxLeaseMs);
      lease.timer.unref();
    }
    this.#leases.set(sandbox, lease);
    this.metrics.acquireDuration.observe({ profile: pooled.profile, outcome: "ok" }, (now - startedAt) / 1000);
    this.#schedulePump();
    return sandbox;
  }

  #expire(waiter: Waiter): void {
    if (waiter.settled) return;
    this.#settleWaiter(waiter);
    const error = this.#timeoutError(waiter);
    this.metrics.acquireDuration.observe({ profile: waiter.profile, outcome: error.name }, (this.#now() - waiter.startedAt) / 1000);
    this.metrics.errors.inc({ endpoint: "", kind: "acquire-timeout" });
    waiter.reject(error);
  }

  #settleWaiter(waiter: Waiter): void {
    waiter.settled = true;
    if (waiter.timer) clearTimeout(waiter.timer);
    const i = this.#waiters.indexOf(waiter);
    if (i >= 0) this.#waiters.splice(i, 1);
  }

  /** The most useful explanation of why this waiter got nothing. */
  #timeoutError(waiter: Waiter): AcquireTimeoutError {
    const { timeoutMs, profile } = waiter;
    const matching = this.#entries.filter((e) => this.#staticallyEligible(e, profile, waiter.request));
    const decision = placeSandbox(this.#views(), waiter.request, this.#policy());
    const reasons = matching.map((e) => [e, decision.rejected[e.id]] as const);
    const describe = (e: EndpointEntry, r: RejectionReason | undefined) => {
      const detail =
        r === "unresponsive" ? `unresponsive (${e.health.lastError ?? "no answer"})`
        : r === "backing-off" ? `backing off after ${e.breaker.failures} failed creates (${errorText(e.breaker.lastError)})`
        : r === "full" ? `full (${e.total}/${e.maxContainers})`
        : r ?? "available";
      return `${e.id}: ${detail}`;
    };
    const summary = reasons.map(([e, r]) => describe(e, r)).join("; ");
    const prefix = `acquire() got no "${profile}" sandbox within ${timeoutMs} ms`;
    if (reasons.length > 0 && reasons.every(([, r]) => r === "full" || r === "max-total")) {
      const total = this.#entries.reduce((n, e) => n + e.total, 0);
      return new PoolExhaustedError(
        `${prefix}: the pool is exhausted (${total} containers; maxTotal ${this.#maxTotal()}; ${summary}); ` +
          `release sandboxes sooner, raise maxContainers/maxTotal, or add endpoints`,
        timeoutMs,
      );
    }
    if (reasons.length > 0 && reasons.every(([, r]) => r === "unresponsive" || r === "draining" || r === "backing-off")) {
      const cause = new EndpointUnavailableError(reasons.map(([e]) => e.id).join(","), `no endpoint matching the request can take work: ${summary}`);
      return new AcquireTimeoutError(
        `${prefix}: every matching endpoint is unavailable (${summary}); fix or replace those hosts (sandfleet doctor --registry FILE), or relax the affinity`,
        timeoutMs,
        { cause },
      );
    }
    const lastError = waiter.lastCreateError;
    return new AcquireTimeoutError(
      `${prefix}: ${lastError ? `the last create failed (${errorText(lastError)})` : "creating a sandbox took longer"}; ` +
        `endpoints: ${summary}; raise timeoutMs, or raise minIdle so sandboxes are warm before they are needed`,
      timeoutMs,
      lastError ? { cause: lastError } : undefined,
    );
  }

  // ---------------------------------------------------------------- creates, refill

  #schedulePump(): void {
    if (this.#pumpScheduled || this.#isClosing) return;
    this.#pumpScheduled = true;
    // A macrotask, not a microtask: the caller that just got a sandbox runs (and can send its first command)
    // before the refill does the synchronous part of starting creates (request building, TLS socket setup).
    setImmediate(() => {
      this.#pumpScheduled = false;
      this.#pump();
    });
  }

  /** Starts creates for waiters that have none in flight, then tops every profile up to minIdle. Synchronous. */
  #pump(): void {
    if (this.#isClosing) return;
    for (const waiter of this.#waiters) {
      if (waiter.settled || waiter.createsInFlight > 0) continue;
      // An idle sandbox may have appeared for it (e.g. its endpoint came back).
      const idle = this.#takeIdle(waiter.profile, waiter.request);
      if (idle) {
        this.#settleWaiter(waiter);
        waiter.resolve(this.#lease(idle, waiter.startedAt));
        return this.#schedulePump(); // the waiter list changed under the loop
      }
      const entry = this.#place(waiter.profile, waiter.request) ?? (this.#evictIdleFor(waiter) ? this.#place(waiter.profile, waiter.request) : undefined);
      if (entry) this.#startCreate(entry, waiter.profile, waiter);
    }
    for (const profile of Object.keys(this.#options.profiles)) this.#refill(profile);
  }

  /** The refill step of one profile: idle + refills in flight up to minIdle (waiters' creates are not counted). */
  #refill(profile: string): void {
    const want = this.#options.minIdle[profile] ?? 0;
    // Idle sandboxes parked on an endpoint that does not take work (outage grace, draining) cannot be handed
    // out: replace them elsewhere rather than letting the warm pool shrink.
    let have = this.#idle.get(profile)!.filter((p) => p.entry.health.state === "ready").length;
    for (const job of this.#creates) if (job.profile === profile && (!job.origin || job.origin.settled)) have += 1;
    for (let deficit = want - have; deficit > 0; deficit--) {
      const entry = this.#place(profile, {});
      if (!entry) return;
      this.#startCreate(entry, profile, undefined);
    }
  }

  /**
   * When a waiter cannot be placed only because capacity is taken by idle sandboxes it cannot use (another
   * profile, or endpoints outside its affinity), destroys the oldest such idle sandbox to make room — otherwise
   * warm pools of one profile could starve every other profile forever.
   */
  #evictIdleFor(waiter: Waiter): boolean {
    const decision = placeSandbox(this.#views(this.#entries.filter((e) => this.#staticallyEligible(e, waiter.profile, waiter.request))), waiter.request, this.#policy());
    const reasons = Object.values(decision.rejected);
    const atMaxTotal = reasons.includes("max-total");
    let victim: { list: Pooled[]; index: number } | undefined;
    for (const [, list] of this.#idle) {
      list.forEach((pooled, index) => {
        const helps = atMaxTotal || decision.rejected[pooled.entry.id] === "full";
        if (helps && (!victim || pooled.idleSince < victim.list[victim.index]!.idleSince)) victim = { list, index };
      });
    }
    if (!victim) return false;
    const [pooled] = victim.list.splice(victim.index, 1);
    this.#discardIdle(pooled!, "evicted");
    return true;
  }

  #place(profile: string, request: PlacementRequest): EndpointEntry | undefined {
    const eligible = this.#entries.filter((e) => this.#staticallyEligible(e, profile, request));
    const decision = placeSandbox(this.#views(eligible), request, this.#policy());
    return decision.endpointId ? this.#byId.get(decision.endpointId) : undefined;
  }

  #views(entries: readonly EndpointEntry[] = this.#entries): EndpointView[] {
    const now = this.#now();
    return entries.map((e) => ({
      id: e.id,
      labels: e.labels,
      weight: e.weight,
      maxContainers: e.maxContainers,
      state: e.health.state,
      circuitOpen: !e.breaker.allows(now),
      idle: e.idle,
      leased: e.leased,
      creating: e.creating,
    }));
  }

  #policy() {
    const p = this.#options.placement;
    return {
      strategy: p.strategy,
      maxTotal: this.#maxTotal(),
      total: this.#entries.reduce((n, e) => n + e.total, 0),
      maxConcurrentCreatesPerEndpoint: this.#options.maxConcurrentCreatesPerEndpoint,
      powerOfK: p.powerOfK,
      nearEqualPoints: p.nearEqualPoints,
      preferredWeightCap: p.preferredWeightCap,
      random: this.#random,
    };
  }

  #maxTotal(): number {
    return this.#options.maxTotal ?? this.#entries.reduce((n, e) => n + (e.removed ? 0 : e.maxContainers), 0);
  }

  #startCreate(entry: EndpointEntry, profile: string, origin: Waiter | undefined): void {
    const name = `sf-${this.poolId}-${randomBytes(6).toString("hex")}`;
    const client = entry.client;
    const job: CreateJob = { client, name, profile, entry, origin };
    const startedAt = this.#now();
    entry.creating += 1;
    entry.known.set(name, { profile, state: "creating" });
    entry.breaker.onStart(startedAt);
    this.#creates.add(job);
    if (origin) origin.createsInFlight += 1;

    const labels = poolLabels(this.poolId, profile, entry.id, new Date(startedAt));
    const { createTimeoutMs, callTimeoutMs, endpointOutageGraceMs } = this.#options;
    const done = (outcome: string) => {
      entry.creating -= 1;
      this.#creates.delete(job);
      if (origin) origin.createsInFlight -= 1;
      this.metrics.createDuration.observe({ endpoint: entry.id, profile, outcome }, (this.#now() - startedAt) / 1000);
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
      this.#onCreateFailed(entry, origin, new Error(`create on ${entry.id} did not finish within ${createTimeoutMs + callTimeoutMs} ms`));
    }, createTimeoutMs + callTimeoutMs);
    guard.unref();

    const chain = Promise.resolve()
      .then(() => this.#startSession(client, this.#options.profiles[profile]!, labels, { name, timeoutMs: createTimeoutMs, callTimeoutMs, reattachTimeoutMs: endpointOutageGraceMs }))
      .then(
        (session) => {
          if (guardFired) return this.#destroy(entry, name, session);
          clearTimeout(guard);
          done("ok");
          entry.breaker.onSuccess();
          const known = entry.known.get(name);
          if (known) known.containerId = session.containerId;
          const pooled: Pooled = { session, client, name, profile, entry, idleSince: this.#now() };
          if (this.#isClosing || entry.health.state !== "ready") {
            // Nobody may get it: the pool is closing, or the endpoint was written off, set draining or removed
            // from the registry while this was starting.
            return this.#destroy(entry, name, session);
          }
          this.#deliver(pooled, origin);
          return undefined;
        },
        (err: unknown) => {
          if (guardFired) return;
          clearTimeout(guard);
          done("error");
          entry.known.delete(name);
          this.#onCreateFailed(entry, origin, err);
        },
      );
    // close() waits for this; a create that hangs past the guard must not hang close() with it.
    void this.#track(Promise.race([chain, guardFiredPromise]));
  }

  #onCreateFailed(entry: EndpointEntry, origin: Waiter | undefined, err: unknown): void {
    const now = this.#now();
    entry.breaker.onFailure(now, err);
    this.metrics.errors.inc({ endpoint: entry.id, kind: "create-failed" });
    if (origin) origin.lastCreateError = err;
    // Containers a failed create may have left (the session removes its own; this is the safety net).
    entry.needsReconcile = true;
    const retryAt = entry.breaker.retryAt();
    if (retryAt > now) {
      const t = setTimeout(() => this.#schedulePump(), retryAt - now + 5);
      t.unref();
    } else {
      this.#schedulePump();
    }
  }

  /** A new sandbox goes to its own waiter, else the oldest matching waiter, else the idle list. */
  #deliver(pooled: Pooled, origin: Waiter | undefined): void {
    const fits = (w: Waiter) => !w.settled && w.profile === pooled.profile && requiredAffinityMatches(w.request.affinity, pooled.entry.labels);
    const waiter = origin && fits(origin) ? origin : this.#waiters.find(fits);
    if (waiter) {
      this.#settleWaiter(waiter);
      waiter.resolve(this.#lease(pooled, waiter.startedAt));
    } else {
      pooled.idleSince = this.#now();
      pooled.entry.idle += 1;
      const known = pooled.entry.known.get(pooled.name);
      if (known) known.state = "idle";
      this.#idle.get(pooled.profile)!.push(pooled);
    }
    this.#schedulePump();
  }

  // ---------------------------------------------------------------- release, reclaim, destroy

  /** @internal called by Sandbox.release() */
  async releaseLease(sandbox: Sandbox): Promise<void> {
    const lease = this.#leases.get(sandbox);
    if (!lease) return;
    this.#endLease(sandbox, lease);
    const entry = lease.pooled.entry;
    const destroying = this.#destroy(entry, lease.pooled.name, lease.pooled.session);
    // Never block the caller on a host that does not answer; the container is reconciled when it is back.
    if (entry.health.state !== "unresponsive") await destroying;
  }

  #endLease(sandbox: Sandbox, lease: Lease): void {
    this.#leases.delete(sandbox);
    if (lease.timer) clearTimeout(lease.timer);
    lease.pooled.entry.leased -= 1;
    this.#leaseReleased?.();
    this.#schedulePump();
  }

  #reclaim(sandbox: Sandbox, kind: "lease-expired" | "closed"): Promise<void> {
    const lease = this.#leases.get(sandbox);
    if (!lease || !sandbox.markReclaimed()) return Promise.resolve();
    this.#endLease(sandbox, lease);
    if (kind === "lease-expired") this.metrics.errors.inc({ endpoint: lease.pooled.entry.id, kind });
    return this.#destroy(lease.pooled.entry, lease.pooled.name, lease.pooled.session);
  }

  /** Forgets the container at once (so reconciliation removes it should this fail) and removes it, bounded. */
  #destroy(entry: EndpointEntry, name: string, session: PoolSession): Promise<void> {
    entry.known.delete(name);
    const destroying = session.destroy().catch(() => {
      this.metrics.errors.inc({ endpoint: entry.id, kind: "destroy-failed" });
      entry.needsReconcile = true;
    });
    entry.destroying.add(destroying);
    void destroying.then(() => entry.destroying.delete(destroying));
    this.#dropIfDone(entry);
    return this.#track(destroying);
  }

  #discardIdle(pooled: Pooled, _why: string): void {
    pooled.entry.idle -= 1;
    void this.#destroy(pooled.entry, pooled.name, pooled.session);
    this.#schedulePump();
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#background.add(promise);
    const forget = () => this.#background.delete(promise);
    promise.then(forget, forget);
    return promise;
  }

  // ---------------------------------------------------------------- health, reconcile, maintenance

  #onPing(entry: EndpointEntry, ok: boolean, error?: unknown): void {
    if (!ok) this.metrics.errors.inc({ endpoint: entry.id, kind: "ping-failed" });
    const change = entry.health.record(ok, this.#now(), error);
    if (change === "lost") {
      // Nobody gets its idle sandboxes now (only ready endpoints hand out). They are written off once the
      // outage outlasts endpointOutageGraceMs (#maintain), so a dockerd restart with live-restore keeps them.
      entry.lostAt = this.#now();
      if (this.#options.endpointOutageGraceMs === 0) this.#writeOffIdle(entry, "endpoint-lost");
      entry.needsReconcile = true;
    }
    if (change === "recovered") entry.lostAt = undefined;
    if (ok && entry.needsReconcile && !this.#isClosing) void this.#reconcile(entry);
    if (change === "recovered") this.#schedulePump();
  }

  /** Destroys every idle sandbox of the endpoint; removal is attempted without blocking anyone. */
  #writeOffIdle(entry: EndpointEntry, why: string): void {
    for (const [, list] of this.#idle) {
      for (let i = list.length - 1; i >= 0; i--) {
        if (list[i]!.entry === entry) this.#discardIdle(list.splice(i, 1)[0]!, why);
      }
    }
  }

  /**
   * Removes every container of this pool id on the endpoint that the pool does not know (left by a crashed
   * earlier instance, or written off while the endpoint did not answer).
   */
  #reconcile(entry: EndpointEntry): Promise<void> {
    if (entry.reconciling) return entry.reconciling;
    entry.needsReconcile = false;
    const run = (async () => {
      try {
        const containers = await entry.client.listContainers(poolSelector(this.poolId));
        const unknown = containers.filter((c) => !entry.known.has((c.Names?.[0] ?? "").replace(/^\//, "")));
        await Promise.all(
          unknown.map(async (c) => {
            try {
              await entry.client.removeContainer(c.Id);
              this.metrics.errors.inc({ endpoint: entry.id, kind: "orphan-removed" });
            } catch {
              entry.needsReconcile = true;
            }
          }),
        );
      } catch {
        entry.needsReconcile = true; // try again on the next answered ping
      } finally {
        entry.reconciling = undefined;
      }
    })();
    entry.reconciling = run;
    return this.#track(run);
  }

  /**
   * Periodic: write off idle sandboxes of endpoints down for longer than the outage grace, trim idle beyond
   * minIdle after idleTimeoutMs, drop idle sandboxes whose channel died, retry creates.
   */
  #maintain(): void {
    if (this.#isClosing) return;
    const now = this.#now();
    for (const e of [...this.#entries]) {
      if (e.lostAt !== undefined && e.health.state === "unresponsive" && now - e.lostAt >= this.#options.endpointOutageGraceMs) {
        this.#writeOffIdle(e, "endpoint-lost");
      }
      this.#closeUnusedRetiredClients(e);
      this.#dropIfDone(e);
    }
    for (const [profile, list] of this.#idle) {
      let surplus = list.length - (this.#options.minIdle[profile] ?? 0);
      for (let i = 0; i < list.length; i++) {
        const pooled = list[i]!;
        const stale = surplus > 0 && now - pooled.idleSince >= this.#options.idleTimeoutMs;
        if (stale || !pooled.session.healthy()) {
          list.splice(i--, 1);
          if (stale) surplus -= 1;
          this.#discardIdle(pooled, stale ? "idle-timeout" : "unhealthy");
        }
      }
    }
    this.#schedulePump();
  }

  // ---------------------------------------------------------------- registry updates

  /**
   * Applies a new registry to the running pool (validated with parseRegistry; it must be of the same stack, else
   * RegistryError). Endpoints that are new join once their first ping answers (this call waits for that ping);
   * endpoints gone from the registry and endpoints now `draining: true` get no new sandboxes and their idle ones
   * are destroyed, while leased ones keep working until released — a removed endpoint is then dropped, with
   * whatever of this pool is left on it. Changed address or TLS material (rotated client certs): new clients for
   * new calls, while existing sandboxes keep the client they were created with. Labels, weight, maxContainers and
   * runtime take effect for the next placement. Updates are applied one at a time, in call order.
   */
  updateRegistry(registry: unknown): Promise<RegistryUpdateResult> {
    const run = this.#registryUpdates.then(() => this.#updateRegistry(registry, "updateRegistry(registry)"));
    this.#registryUpdates = run.catch(() => undefined);
    return run;
  }

  async #updateRegistry(input: unknown, source: string): Promise<RegistryUpdateResult> {
    if (this.#isClosing) throw new PoolClosedError("the pool is closed; a registry update needs an open pool");
    const next = parseRegistry(input, source);
    assertSameStack(this.#registry, next, source);
    const plan = planRegistryUpdate(this.#registry, next);
    const result: RegistryUpdateResult = {
      added: plan.added.map((e) => e.id),
      removed: plan.removed,
      drainingStarted: plan.drainingStarted,
      drainingEnded: plan.drainingEnded,
      reconnected: plan.reconnect,
      tlsChanged: plan.tlsChanged,
    };
    this.#registry = next;
    this.#registryUpdatedAt = this.#now();
    // placement "local" uses no registry endpoint: the registry is kept for the next update, nothing else changes.
    if (this.#options.placement.mode === "local") return result;

    const joining: EndpointEntry[] = [];
    for (const id of plan.removed) {
      const entry = this.#byId.get(id);
      if (!entry || !entry.endpoint) continue;
      entry.removed = true;
      entry.health.draining = true;
      this.#writeOffIdle(entry, "endpoint-removed");
      this.#dropIfDone(entry);
    }
    for (const endpoint of plan.kept) {
      const entry = this.#byId.get(endpoint.id);
      if (!entry) continue;
      this.#refreshEntry(entry, endpoint, next.tls, plan.reconnect.includes(endpoint.id));
      if (endpoint.draining) this.#writeOffIdle(entry, "endpoint-draining");
    }
    for (const endpoint of plan.added) {
      const leaving = this.#byId.get(endpoint.id);
      if (leaving) {
        // Removed earlier and not yet dropped: it is back, with its leases.
        leaving.removed = false;
        this.#refreshEntry(leaving, endpoint, next.tls, true);
        continue;
      }
      const entry = this.#remoteEntry(endpoint, next.tls);
      entry.needsReconcile = true;
      this.#entries.push(entry);
      this.#byId.set(entry.id, entry);
      joining.push(entry);
    }
    // New endpoints are unresponsive until they answer: ping them now (and remove what an earlier pool with this
    // id left there) rather than at the next health round.
    if (joining.length > 0) {
      await this.#health.checkAll();
      await Promise.all(joining.map((e) => e.reconciling));
    }
    this.#schedulePump();
    return result;
  }

  /** Takes the new registry entry of an endpoint the pool keeps. */
  #refreshEntry(entry: EndpointEntry, endpoint: Endpoint, tls: RegistryTls, reconnect: boolean): void {
    entry.endpoint = endpoint;
    entry.labels = endpointMatchLabels(endpoint);
    entry.weight = endpoint.weight;
    entry.maxContainers = endpoint.maxContainers;
    entry.health.draining = endpoint.draining === true;
    if (reconnect) {
      entry.retiredClients.push(entry.client);
      entry.client = this.#remoteClient(endpoint, tls);
      this.#closeUnusedRetiredClients(entry);
    }
  }

  /** Closes replaced clients that no sandbox (idle, leased or being created) uses any more. */
  #closeUnusedRetiredClients(entry: EndpointEntry): void {
    if (entry.retiredClients.length === 0) return;
    const inUse = new Set<PoolEndpointClient>();
    for (const [, list] of this.#idle) for (const p of list) if (p.entry === entry) inUse.add(p.client);
    for (const [, lease] of this.#leases) if (lease.pooled.entry === entry) inUse.add(lease.pooled.client);
    for (const job of this.#creates) if (job.entry === entry) inUse.add(job.client);
    // A removal in flight may still use an old client: wait for it.
    if (entry.destroying.size > 0) return;
    entry.retiredClients = entry.retiredClients.filter((client) => {
      if (inUse.has(client)) return true;
      client.close();
      return false;
    });
  }

  /** Drops an endpoint that left the registry once nothing of it is left, sweeping what a failed removal left there. */
  #dropIfDone(entry: EndpointEntry): void {
    if (!entry.removed || entry.total > 0 || this.#isClosing || this.#byId.get(entry.id) !== entry) return;
    this.#entries.splice(this.#entries.indexOf(entry), 1);
    this.#byId.delete(entry.id);
    void this.#track(
      (async () => {
        try {
          await Promise.allSettled([...entry.destroying, entry.reconciling]);
          const left = await entry.client.listContainers(poolSelector(this.poolId));
          await Promise.all(left.map((c) => entry.client.removeContainer(c.Id).catch(() => undefined)));
        } catch {
          // Unreachable now: nothing more can be done from here; a pool that later re-adds it reconciles it.
        } finally {
          for (const client of [entry.client, ...entry.retiredClients]) client.close();
        }
      })(),
    );
  }

  /** @internal createPool({ watchRegistryFile: true }): re-reads the file on change and applies it. */
  watchRegistryFile(path: string): void {
    this.#watcher = new RegistryFileWatcher(path, () => this.#reloadRegistryFile(path));
    this.#watcher.start();
  }

  /** One reload of the watched file; a bad file is reported (status, metrics, a process warning) and ignored. */
  async #reloadRegistryFile(path: string): Promise<void> {
    if (this.#isClosing) return;
    try {
      const next = await readRegistryFile(path);
      if (JSON.stringify(next) !== JSON.stringify(this.#registry)) {
        await this.updateRegistry(next);
      }
      this.#reloadError = undefined;
    } catch (err) {
      if (this.#isClosing) return;
      const message = err instanceof Error ? err.message : String(err);
      this.#reloadError = { message, at: this.#now() };
      this.metrics.errors.inc({ endpoint: "", kind: "registry-reload-failed" });
      process.emitWarning(`sandfleet pool ${this.poolId}: ignored the changed registry file ${path}, the pool keeps the registry it has: ${message}`, {
        code: "SANDFLEET_REGISTRY_RELOAD_FAILED",
      });
    }
  }

  // ---------------------------------------------------------------- status, close

  status(): PoolStatus {
    const now = this.#now();
    const byEndpoint: Record<string, EndpointStatus> = {};
    let idle = 0;
    let acquired = 0;
    let creating = 0;
    const recovering = new Map<EndpointEntry, number>();
    const sessions = [...[...this.#idle.values()].flat(), ...[...this.#leases.values()].map((l) => l.pooled)];
    for (const p of sessions) if (p.session.recovering?.()) recovering.set(p.entry, (recovering.get(p.entry) ?? 0) + 1);
    for (const e of this.#entries) {
      idle += e.idle;
      acquired += e.leased;
      creating += e.creating;
      const retryAt = e.breaker.retryAt();
      byEndpoint[e.id] = {
        idle: e.idle,
        acquired: e.leased,
        creating: e.creating,
        recovering: recovering.get(e) ?? 0,
        state: e.health.state,
        maxContainers: e.maxContainers,
        ...(e.health.lastError ? { lastError: e.health.lastError } : {}),
        createFailures: e.breaker.failures,
        ...(retryAt > now ? { backingOffUntil: new Date(retryAt).toISOString() } : {}),
        ...(e.removed ? { removed: true as const } : {}),
      };
    }
    const serving = this.#entries.filter((e) => !e.removed);
    const ready = serving.filter((e) => e.health.state === "ready").length;
    return {
      poolId: this.poolId,
      closed: this.#isClosing,
      idle,
      acquired,
      creating,
      total: idle + acquired + creating,
      maxTotal: this.#maxTotal(),
      waiting: this.#waiters.length,
      health: ready === serving.length ? "ok" : ready === 0 ? "down" : "degraded",
      byEndpoint,
      registry: {
        stack: this.#registry.stack,
        endpoints: this.#registry.endpoints.length,
        updatedAt: new Date(this.#registryUpdatedAt).toISOString(),
        watching: this.#watcher !== undefined,
        ...(this.#reloadError ? { reloadError: this.#reloadError.message, reloadErrorAt: new Date(this.#reloadError.at).toISOString() } : {}),
      },
    };
  }

  /** Every container the pool believes exists, per endpoint. */
  inventory(): InventoryEntry[] {
    return this.#entries.flatMap((e) =>
      [...e.known].map(([name, k]) => ({ endpointId: e.id, name, profile: k.profile, state: k.state, ...(k.containerId ? { containerId: k.containerId } : {}) })),
    );
  }

  /** Runs one health round and the reconciliation it triggers now, instead of waiting for the timers. */
  async checkHealth(): Promise<void> {
    await this.#health.checkAll();
    await Promise.all(this.#entries.map((e) => e.reconciling));
  }

  /**
   * Stops handing out; rejects waiting acquires; destroys idle sandboxes; waits up to closeGraceMs for leased
   * ones to be released, then destroys them; waits for creates in flight (and destroys what they yield);
   * closes the Docker clients. Idempotent.
   */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#isClosing = true;
      this.#closing = this.#close();
    }
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#watcher?.stop();
    this.#health.stop();
    if (this.#maintenance) clearInterval(this.#maintenance);
    for (const waiter of [...this.#waiters]) {
      this.#settleWaiter(waiter);
      waiter.reject(new PoolClosedError("the pool was closed while this acquire() was waiting"));
    }
    for (const [, list] of this.#idle) for (const pooled of list.splice(0)) this.#discardIdle(pooled, "closed");
    if (this.#leases.size > 0) {
      // Real time (not the injectable clock): this is a wait the caller experiences.
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#options.closeGraceMs);
        this.#leaseReleased = () => {
          if (this.#leases.size > 0) return;
          clearTimeout(timer);
          resolve();
        };
      });
      this.#leaseReleased = undefined;
      await Promise.all([...this.#leases.keys()].map((s) => this.#reclaim(s, "closed")));
    }
    // Creates in flight end within their own deadline and destroy what they yield (the pool is closing).
    while (this.#background.size > 0) await Promise.allSettled([...this.#background]);
    for (const e of this.#entries) for (const client of [e.client, ...e.retiredClients]) client.close();
    this.#onClosed?.();
  }

  #metricsSnapshot(): MetricsSnapshot {
    const rows = new Map<string, MetricsSnapshot["sandboxes"][number]>();
    for (const e of this.#entries) {
      for (const profile of Object.keys(this.#options.profiles)) rows.set(`${e.id}\0${profile}`, { endpoint: e.id, profile, idle: 0, leased: 0, creating: 0 });
      for (const [, k] of e.known) {
        const row = rows.get(`${e.id}\0${k.profile}`);
        if (row) row[k.state === "leased" ? "leased" : k.state] += 1;
      }
    }
    return { sandboxes: [...rows.values()], endpoints: this.#entries.map((e) => ({ endpoint: e.id, state: e.health.state })) };
  }
}

function errorText(err: unknown): string {
  if (err === undefined) return "no error recorded";
  return err instanceof Error ? err.message : String(err);
}
