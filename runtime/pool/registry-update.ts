/**
 * What changes when a running pool gets a new registry (pool.updateRegistry, or a watched registry file): which
 * endpoints join, leave, start or stop draining, and which need a new Docker client because the address or the
 * TLS material changed. Pure: the pool applies the plan (see Pool.updateRegistry for the semantics).
 */
import { RegistryError } from "../registry/schema";
import type { Endpoint, EndpointRegistry } from "../registry/schema";

export interface RegistryUpdatePlan {
  /** Endpoints new to the pool: they join once their first ping answers. */
  added: Endpoint[];
  /** Ids gone from the registry: no new work, idle sandboxes destroyed, dropped once their leases are released. */
  removed: string[];
  /** Endpoints present before and after (with their new entry). */
  kept: Endpoint[];
  /** Kept endpoints whose `draining` turned on / off. */
  drainingStarted: string[];
  drainingEnded: string[];
  /** Kept endpoints that need a new client for new calls (host, port or serverName changed, or new TLS material). */
  reconnect: string[];
  /** The CA, client cert or client key changed. */
  tlsChanged: boolean;
}

/** Summary returned by pool.updateRegistry. */
export interface RegistryUpdateResult {
  added: string[];
  removed: string[];
  drainingStarted: string[];
  drainingEnded: string[];
  reconnected: string[];
  tlsChanged: boolean;
}

/** Rejects a registry of another stack: a pool serves exactly one stack (its pool id and containers belong to it). */
export function assertSameStack(current: EndpointRegistry, next: EndpointRegistry, source: string): void {
  if (next.stack === current.stack) return;
  throw new RegistryError(
    `${source}: the new registry is for stack "${next.stack}", but this pool serves stack "${current.stack}"; ` +
      `a pool serves one stack, so create a separate pool (createPool) for "${next.stack}" instead of updating this one`,
  );
}

export function planRegistryUpdate(current: EndpointRegistry, next: EndpointRegistry): RegistryUpdatePlan {
  const before = new Map(current.endpoints.map((e) => [e.id, e]));
  const after = new Map(next.endpoints.map((e) => [e.id, e]));
  const tlsChanged = current.tls.ca !== next.tls.ca || current.tls.clientCert !== next.tls.clientCert || current.tls.clientKey !== next.tls.clientKey;
  const plan: RegistryUpdatePlan = { added: [], removed: [], kept: [], drainingStarted: [], drainingEnded: [], reconnect: [], tlsChanged };
  for (const endpoint of next.endpoints) {
    const old = before.get(endpoint.id);
    if (!old) {
      plan.added.push(endpoint);
      continue;
    }
    plan.kept.push(endpoint);
    const wasDraining = old.draining === true;
    const isDraining = endpoint.draining === true;
    if (!wasDraining && isDraining) plan.drainingStarted.push(endpoint.id);
    if (wasDraining && !isDraining) plan.drainingEnded.push(endpoint.id);
    if (tlsChanged || old.host !== endpoint.host || old.port !== endpoint.port || old.serverName !== endpoint.serverName) {
      plan.reconnect.push(endpoint.id);
    }
  }
  for (const id of before.keys()) if (!after.has(id)) plan.removed.push(id);
  return plan;
}
