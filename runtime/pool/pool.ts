/**
 * The pool: warm gVisor sandboxes per profile across every endpoint of the registry. This class wires the parts
 * together and holds the public API; each part is one concept in its own file.
 *
 * The life of a sandbox:
 *   refiller ── endpoint-set.place ──> sandbox-creator ──> hand-out.deliver ──> a waiting acquire, else idle-sandboxes
 *   acquire() ── acquire-request ──> hand-out: an idle sandbox at once, else wait (acquire-timeout explains a miss)
 *   lease-tracker: release() or maxLeaseMs ──> sandbox-removal (forget the name, then remove the container)
 * The life of an endpoint:
 *   health pings ──> #onPing: an outage parks, later writes off, its idle sandboxes; an answer runs orphan-reconciler
 *   and reads the egress denial logs of its leased sandboxes (egress-denial-watch: metrics, onEgressDenied())
 *   live-registry: updates and the watched file; endpoint-retirement: drop removed endpoints, close replaced clients
 * Reporting: pool-status (status(), inventory(), the rows of the gauges).
 *
 * State changes are synchronous, so hand-out is exactly-once by construction: an idle sandbox is spliced out of
 * its list in the same tick it is leased, and a created one goes to exactly one waiter or one idle list.
 */
import { PoolClosedError } from "../errors";
import type { Endpoint, EndpointRegistry, RegistryTls } from "../registry/schema";
import { AcquireOptions, AcquireRequest, validateAcquireRequest } from "./acquire-request";
import { BackgroundWork } from "./background-work";
import { EgressDenialWatch, EgressDeniedListener } from "./egress-denial-watch";
import type { PoolEndpointAccess } from "./endpoint-access";
import type { EndpointEntry } from "./endpoint-entry";
import { EndpointRetirement } from "./endpoint-retirement";
import { EndpointSet } from "./endpoint-set";
import { HandOut } from "./hand-out";
import { HealthMonitor } from "./health";
import { IdleSandboxes } from "./idle-sandboxes";
import { LeaseTracker } from "./lease-tracker";
import { LiveRegistry } from "./live-registry";
import { PoolMetrics } from "./metrics";
import type { ResolvedPoolOptions } from "./options";
import { OrphanReconciler } from "./orphan-reconciler";
import { OtherPoolsCounter } from "./other-pools";
import { InventoryEntry, metricsSnapshot, poolInventory, poolStatus, PoolStatus } from "./pool-status";
import { Refiller } from "./refiller";
import type { RegistryUpdateResult } from "./registry-update";
import type { LeaseOwner, Sandbox } from "./sandbox";
import { SandboxCreator } from "./sandbox-creator";
import { SandboxRemoval } from "./sandbox-removal";
import type { PoolEndpointClient, StartSession } from "./session";
import type { EgressDenial } from "../sandbox/egress-host";

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
  readonly #now: () => number;
  readonly #onClosed: (() => void) | undefined;
  readonly #endpoints: EndpointSet;
  readonly #background = new BackgroundWork();
  readonly #retirement: EndpointRetirement;
  readonly #idle: IdleSandboxes;
  readonly #leases: LeaseTracker;
  readonly #handOut: HandOut;
  readonly #creator: SandboxCreator;
  readonly #refiller: Refiller;
  readonly #reconciler: OrphanReconciler;
  readonly #otherPools: OtherPoolsCounter;
  readonly #registry: LiveRegistry;
  readonly #health: HealthMonitor;
  readonly #denials: EgressDenialWatch;
  #maintenance: NodeJS.Timeout | undefined;
  #closing: Promise<void> | undefined;
  #isClosing = false;

  /** @internal use createPool() */
  constructor(internals: PoolInternals) {
    const { options, poolId, now } = internals;
    this.#options = options;
    this.poolId = poolId;
    this.#now = now;
    this.#onClosed = internals.onClosed;
    const profiles = Object.keys(options.profiles);
    const isClosing = () => this.#isClosing;
    const refillSoon = () => this.#refiller.schedule();
    const background = this.#background;

    for (const e of internals.entries) e.needsReconcile = options.reconcileOnStart;
    const endpoints = (this.#endpoints = new EndpointSet(internals.entries, options, now, internals.random));
    const metrics = (this.metrics = new PoolMetrics(poolId, () => metricsSnapshot(endpoints.all, profiles)));
    this.#retirement = new EndpointRetirement(poolId, endpoints, background, (entry) => this.#clientsInUse(entry), isClosing);
    // A settled removal frees a slot (refill) and may leave a removed endpoint empty (drop it).
    const removal = new SandboxRemoval(metrics, background, (entry) => {
      this.#retirement.dropIfDone(entry);
      if (!isClosing()) refillSoon();
    });
    const idle = (this.#idle = new IdleSandboxes(profiles, options.placement.preferredWeightCap, (pooled) => {
      void removal.remove(pooled.entry, pooled.name, pooled.session);
      refillSoon();
    }));
    // The profile's egress decides whether a sandbox has a denial log: one narrowed to "none" at run time keeps
    // its address on the egress network, and what it still tries is refused and logged.
    const denials = (this.#denials = new EgressDenialWatch(poolId, metrics, background, (s) => options.profiles[s.profile]?.egress.mode !== "none"));
    const leases = (this.#leases = new LeaseTracker(this, options.maxLeaseMs, now, metrics, removal, refillSoon, (sandbox, pooled, removed) =>
      denials.finish(sandbox, pooled.entry, removed),
    ));
    const handOut = (this.#handOut = new HandOut(idle, leases, endpoints, metrics, now, () => this.#refiller.run(), refillSoon, () => this.#refiller.scheduleAfterHandOut()));
    const otherPools = (this.#otherPools = new OtherPoolsCounter(poolId));
    const creator = (this.#creator = new SandboxCreator({
      poolId,
      options,
      startSession: internals.startSession,
      now,
      metrics,
      background,
      removal,
      isClosing,
      otherPools,
      created: (pooled, origin) => handOut.deliver(pooled, origin),
      refillSoon,
    }));
    this.#refiller = new Refiller(options.minIdle, profiles, handOut, idle, endpoints, creator, isClosing, options.refillAfterHandOutMs);
    this.#reconciler = new OrphanReconciler(poolId, metrics, background);
    this.#health = new HealthMonitor(
      () => endpoints.all.map((e) => ({ id: e.id, ping: (t: number) => e.client.ping(t) })),
      options.healthIntervalMs,
      options.healthTimeoutMs,
      (id, ok, error) => {
        const entry = endpoints.get(id);
        if (entry) this.#onPing(entry, ok, error); // else dropped while the ping was in flight
      },
    );
    this.#registry = new LiveRegistry(internals.registry, {
      poolId,
      placementMode: options.placement.mode,
      endpoints,
      idle,
      retirement: this.#retirement,
      metrics,
      now,
      isClosing,
      remoteEntry: internals.remoteEntry,
      remoteClient: internals.remoteClient,
      pingAll: () => this.#health.checkAll(),
      refillSoon,
    });
  }

  /** @internal first health round, reconciliation of reachable endpoints, then timers and the first refill. */
  async start(): Promise<void> {
    // The first answered ping of each endpoint starts its reconciliation (needsReconcile is set from the start).
    await this.checkHealth();
    this.#health.start();
    const tick = Math.min(this.#options.healthIntervalMs, 1_000);
    this.#maintenance = setInterval(() => this.#maintain(), tick);
    this.#maintenance.unref();
    this.#refiller.schedule();
  }

  /**
   * Hands out a running sandbox: an idle one at once when one matches, else the first one created for this
   * request (or freed up) before `timeoutMs`. Rejects with PoolClosedError, NoMatchingEndpointError,
   * InvalidAcquireRequestError, PoolExhaustedError or AcquireTimeoutError (with the reason as `cause`) — or at
   * once with TlsHandshakeError / ImageNotFoundError when every endpoint that could serve it fails that way.
   */
  acquire(options: AcquireOptions = {}): Promise<Sandbox> {
    if (this.#isClosing) return Promise.reject(new PoolClosedError());
    const startedAt = this.#now();
    let request: AcquireRequest;
    try {
      request = validateAcquireRequest(options, this.#options, this.#endpoints);
    } catch (err) {
      return Promise.reject(err);
    }
    const handedOut = this.#handOut.acquire(request, startedAt);
    const egress = request.egress;
    if (!egress) return handedOut;
    // The request's narrower policy replaces the profile's before the caller gets the sandbox (it ran no user
    // code yet); if that fails, the sandbox goes instead of reaching the caller with the profile's wider policy.
    return handedOut.then(async (sandbox) => {
      try {
        await sandbox.setEgress(egress);
        return sandbox;
      } catch (err) {
        await sandbox.release().catch(() => undefined);
        throw err;
      }
    });
  }

  /** @internal called by Sandbox.release() */
  releaseLease(sandbox: Sandbox): Promise<void> {
    return this.#leases.release(sandbox);
  }

  /** @internal Sandbox.egressDenials() read the sandbox's denial log. */
  sawEgressDenials(sandbox: Sandbox, denials: readonly EgressDenial[]): void {
    this.#denials.record(sandbox, denials);
  }

  /**
   * Calls `listener(sandbox, denials)` with each refusal of the workspace hosts' egress proxy to a sandbox of this
   * pool, once, without anyone reading them: the pool reads the denial log of every leased sandbox with egress on
   * each health round (healthIntervalMs) and once more after its release, and counts them in
   * `sandfleet_pool_egress_denied_total`. Returns the function that unsubscribes.
   */
  onEgressDenied(listener: EgressDeniedListener): () => void {
    return this.#denials.subscribe(listener);
  }

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
    return this.#registry.update(registry);
  }

  /** @internal createPool({ watchRegistryFile: true }): re-reads the file on change and applies it. */
  watchRegistryFile(path: string): void {
    this.#registry.watch(path);
  }

  status(): PoolStatus {
    return poolStatus({
      now: this.#now(),
      poolId: this.poolId,
      closed: this.#isClosing,
      endpoints: this.#endpoints.all,
      sandboxes: [...this.#idle.all(), ...this.#leases.pooled()],
      maxTotal: this.#endpoints.maxTotal(),
      waiting: this.#handOut.waiters.length,
      registry: this.#registry.status(),
    });
  }

  /** @internal the endpoints, profiles and placement, for workspaces on the same fleet (endpoint-access.ts). */
  endpointAccess(): PoolEndpointAccess {
    const endpoints = this.#endpoints;
    const options = this.#options;
    const view = (e: EndpointEntry) => ({ id: e.id, client: e.client, state: e.health.state, inRegistry: !e.removed });
    return {
      profiles: options.profiles,
      defaultProfile: options.defaultProfile,
      createTimeoutMs: options.createTimeoutMs,
      reattachTimeoutMs: options.endpointOutageGraceMs,
      endpoint: (id) => {
        const e = endpoints.get(id);
        return e ? view(e) : undefined;
      },
      endpoints: () => endpoints.all.map(view),
      validate: (o) => {
        const { profile, request } = validateAcquireRequest(o, options, endpoints);
        return { profile, request };
      },
      // maxTotal caps the pool's own sandboxes, and the create limit its own refills (workspace creates are not
      // counted in it): neither refuses a workspace; the hosts' maxContainers still does.
      place: (profile, request) =>
        endpoints.decide(endpoints.matching(profile, request).filter((e) => !e.missingImages.has(profile)), request, {
          maxTotal: Number.POSITIVE_INFINITY,
          maxConcurrentCreatesPerEndpoint: Number.POSITIVE_INFINITY,
        }),
      recount: async (id) => {
        const e = endpoints.get(id);
        if (e) await this.#otherPools.refresh(e);
      },
    };
  }

  /** Every container the pool believes exists, per endpoint. */
  inventory(): InventoryEntry[] {
    return poolInventory(this.#endpoints.all);
  }

  /** Runs one health round and the reconciliation it triggers now, instead of waiting for the timers. */
  async checkHealth(): Promise<void> {
    await this.#health.checkAll();
    await Promise.all([...this.#endpoints.all.map((e) => e.reconciling), this.#denials.settled()]);
  }

  /**
   * Stops handing out; rejects waiting acquires; destroys idle sandboxes; waits up to closeGraceMs for leased
   * ones to be released, then destroys them; waits for creates in flight (and destroys what they yield) and for
   * the last reads of released sandboxes' egress denial logs (their onEgressDenied() calls happen before this
   * resolves); closes the Docker clients. Idempotent.
   */
  close(): Promise<void> {
    if (!this.#closing) {
      this.#isClosing = true;
      this.#closing = this.#close();
    }
    return this.#closing;
  }

  async #close(): Promise<void> {
    this.#registry.stopWatching();
    this.#health.stop();
    if (this.#maintenance) clearInterval(this.#maintenance);
    this.#handOut.rejectAll(() => new PoolClosedError("the pool was closed while this acquire() was waiting"));
    this.#idle.discardAll("closed");
    await this.#leases.endAll(this.#options.closeGraceMs);
    // Creates in flight end within their own deadline and destroy what they yield (the pool is closing).
    await this.#background.settled();
    for (const e of this.#endpoints.all) for (const client of [e.client, ...e.retiredClients]) client.close();
    this.#onClosed?.();
  }

  #onPing(entry: EndpointEntry, ok: boolean, error?: unknown): void {
    if (!ok) this.metrics.errors.inc({ endpoint: entry.id, kind: "ping-failed" });
    const change = entry.health.record(ok, this.#now(), error);
    if (change === "lost") {
      // Nobody gets its idle sandboxes now (only ready endpoints hand out). They are written off once the
      // outage outlasts endpointOutageGraceMs (#maintain), so a dockerd restart with live-restore keeps them.
      entry.lostAt = this.#now();
      if (this.#options.endpointOutageGraceMs === 0) this.#idle.writeOff(entry, "endpoint-lost");
      entry.needsReconcile = true;
    }
    if (change === "recovered") entry.lostAt = undefined;
    // Look again for images found missing: an operator may have loaded them since.
    if (ok) entry.missingImages.clear();
    if (ok && entry.needsReconcile && !this.#isClosing) void this.#reconciler.reconcile(entry);
    if (ok && !this.#isClosing) void this.#background.track(this.#otherPools.refresh(entry));
    if (ok && !this.#isClosing) this.#denials.poll(this.#leases.onEndpoint(entry));
    if (change === "recovered") this.#refiller.schedule();
  }

  /**
   * Periodic: write off idle sandboxes of endpoints down for longer than the outage grace, close replaced
   * clients and drop removed endpoints once unused, trim idle beyond minIdle after idleTimeoutMs, drop idle
   * sandboxes whose channel died, retry creates.
   */
  #maintain(): void {
    if (this.#isClosing) return;
    const now = this.#now();
    for (const e of [...this.#endpoints.all]) {
      if (e.lostAt !== undefined && e.health.state === "unresponsive" && now - e.lostAt >= this.#options.endpointOutageGraceMs) {
        this.#idle.writeOff(e, "endpoint-lost");
      }
      this.#retirement.closeUnusedClients(e);
      this.#retirement.dropIfDone(e);
    }
    this.#idle.trim(now, this.#options.minIdle, this.#options.idleTimeoutMs);
    this.#refiller.schedule();
  }

  /** Clients that sandboxes on the endpoint (idle, leased, being created) still use. */
  #clientsInUse(entry: EndpointEntry): PoolEndpointClient[] {
    const ofEntry = (pooled: { entry: EndpointEntry; client: PoolEndpointClient }[]) => pooled.filter((p) => p.entry === entry).map((p) => p.client);
    return [...ofEntry(this.#idle.all()), ...ofEntry(this.#leases.pooled()), ...this.#creator.clientsInUse(entry)];
  }
}
