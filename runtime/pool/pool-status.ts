/**
 * What the pool reports about itself: `pool.status()` (for operators and the /status endpoint), `inventory()`
 * (every container it believes exists, for the "no unknown container" checks) and the rows the Prometheus
 * gauges are computed from at scrape time. All derived from the endpoint counts, never kept separately, so
 * they cannot drift from the pool's state.
 */
import type { ContainerState, EndpointEntry } from "./endpoint-entry";
import type { MetricsSnapshot } from "./metrics";
import type { EndpointState } from "./placement";
import type { PooledSandbox } from "./pooled-sandbox";

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
  /** Profiles whose image a create found missing here (profile -> image); placement skips the endpoint for them. */
  missingImages?: Record<string, string>;
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
  state: ContainerState;
  containerId?: string;
}

export interface PoolStatusInput {
  poolId: string;
  closed: boolean;
  endpoints: readonly EndpointEntry[];
  /** Every idle and leased sandbox (to count the recovering ones). */
  sandboxes: readonly PooledSandbox[];
  maxTotal: number;
  waiting: number;
  registry: RegistryStatus;
  now: number;
}

export function poolStatus(input: PoolStatusInput): PoolStatus {
  const { now } = input;
  const byEndpoint: Record<string, EndpointStatus> = {};
  let idle = 0;
  let acquired = 0;
  let creating = 0;
  const recovering = new Map<EndpointEntry, number>();
  for (const p of input.sandboxes) if (p.session.recovering?.()) recovering.set(p.entry, (recovering.get(p.entry) ?? 0) + 1);
  for (const e of input.endpoints) {
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
      ...(e.missingImages.size > 0 ? { missingImages: Object.fromEntries([...e.missingImages].map(([profile, err]) => [profile, err.image])) } : {}),
      ...(e.removed ? { removed: true as const } : {}),
    };
  }
  const serving = input.endpoints.filter((e) => !e.removed);
  const ready = serving.filter((e) => e.health.state === "ready").length;
  return {
    poolId: input.poolId,
    closed: input.closed,
    idle,
    acquired,
    creating,
    total: idle + acquired + creating,
    maxTotal: input.maxTotal,
    waiting: input.waiting,
    health: ready === serving.length ? "ok" : ready === 0 ? "down" : "degraded",
    byEndpoint,
    registry: input.registry,
  };
}

export function poolInventory(endpoints: readonly EndpointEntry[]): InventoryEntry[] {
  return endpoints.flatMap((e) =>
    [...e.known].map(([name, k]) => ({ endpointId: e.id, name, profile: k.profile, state: k.state, ...(k.containerId ? { containerId: k.containerId } : {}) })),
  );
}

/** Sandboxes per endpoint x profile and endpoint states, for the gauges (every profile gets a row, zeros included). */
export function metricsSnapshot(endpoints: readonly EndpointEntry[], profiles: readonly string[]): MetricsSnapshot {
  const rows = new Map<string, MetricsSnapshot["sandboxes"][number]>();
  for (const e of endpoints) {
    for (const profile of profiles) rows.set(`${e.id}\0${profile}`, { endpoint: e.id, profile, idle: 0, leased: 0, creating: 0 });
    for (const [, k] of e.known) {
      const row = rows.get(`${e.id}\0${k.profile}`);
      if (row) row[k.state] += 1;
    }
  }
  return { sandboxes: [...rows.values()], endpoints: endpoints.map((e) => ({ endpoint: e.id, state: e.health.state })) };
}
