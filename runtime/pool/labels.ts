/**
 * Labels on every container the pool creates. They are how a restarted pool (same pool id) finds what a
 * crashed instance left behind, and how `sandfleet status` shows containers per endpoint.
 *
 * Docker labels cannot change after creation, so the lease time is not a label: it lives in the pool's
 * memory (and in `pool.status()`); a crashed pool's leases are orphans either way.
 */
export const POOL_LABELS = {
  /** Always "true": marks containers sandfleet manages (any pool). */
  managed: "dev.sandfleet.managed",
  /** The pool id; one pool instance (or its restart) owns every container with this value. */
  pool: "dev.sandfleet.pool",
  /** The profile name the sandbox was created from. */
  profile: "dev.sandfleet.profile",
  /** The endpoint id the container was placed on. */
  endpoint: "dev.sandfleet.endpoint",
  /** Creation time, ISO 8601. */
  createdAt: "dev.sandfleet.created-at",
} as const;

/** The labels of a new sandbox container. */
export function poolLabels(poolId: string, profile: string, endpointId: string, createdAt = new Date()): Record<string, string> {
  return {
    [POOL_LABELS.managed]: "true",
    [POOL_LABELS.pool]: poolId,
    [POOL_LABELS.profile]: profile,
    [POOL_LABELS.endpoint]: endpointId,
    [POOL_LABELS.createdAt]: createdAt.toISOString(),
  };
}

/** The label filter matching every container of one pool id (for reconciliation). */
export function poolSelector(poolId: string): Record<string, string> {
  return { [POOL_LABELS.managed]: "true", [POOL_LABELS.pool]: poolId };
}
