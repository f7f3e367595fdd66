/**
 * The registry a running pool serves, and how a new one is applied: pool.updateRegistry(), or a watched
 * registry file re-read on change (a bad file is reported and ignored, the pool keeps the registry it has).
 * Updates run one at a time, in call order. See Pool.updateRegistry for what each kind of change does.
 */
import { PoolClosedError } from "../errors";
import { parseRegistry, readRegistryFile } from "../registry/schema";
import type { Endpoint, EndpointRegistry, RegistryTls } from "../registry/schema";
import type { EndpointEntry } from "./endpoint-entry";
import type { EndpointRetirement } from "./endpoint-retirement";
import type { EndpointSet } from "./endpoint-set";
import type { IdleSandboxes } from "./idle-sandboxes";
import type { PoolMetrics } from "./metrics";
import type { PlacementMode } from "./options";
import { endpointMatchLabels } from "./placement";
import type { RegistryStatus } from "./pool-status";
import { assertSameStack, planRegistryUpdate, RegistryUpdateResult } from "./registry-update";
import { RegistryFileWatcher } from "./registry-watcher";
import type { PoolEndpointClient } from "./session";

export interface LiveRegistryContext {
  poolId: string;
  placementMode: PlacementMode;
  endpoints: EndpointSet;
  idle: IdleSandboxes;
  retirement: EndpointRetirement;
  metrics: PoolMetrics;
  now: () => number;
  isClosing: () => boolean;
  /** Builds the entry of an endpoint the registry adds (client, health, breaker). */
  remoteEntry: (endpoint: Endpoint, tls: RegistryTls) => EndpointEntry;
  /** A new client for a registry endpoint (address or TLS material changed). */
  remoteClient: (endpoint: Endpoint, tls: RegistryTls) => PoolEndpointClient;
  /** Pings every endpoint now (an answered first ping admits an endpoint and starts its reconciliation). */
  pingAll: () => Promise<void>;
  refillSoon: () => void;
}

export class LiveRegistry {
  #registry: EndpointRegistry;
  #updatedAt: number;
  #updates: Promise<unknown> = Promise.resolve();
  #reloadError: { message: string; at: number } | undefined;
  #watcher: RegistryFileWatcher | undefined;

  constructor(
    registry: EndpointRegistry,
    private readonly context: LiveRegistryContext,
  ) {
    this.#registry = registry;
    this.#updatedAt = context.now();
  }

  /** Applies a new registry after the updates queued before it. */
  update(registry: unknown): Promise<RegistryUpdateResult> {
    const run = this.#updates.then(() => this.#apply(registry, "updateRegistry(registry)"));
    this.#updates = run.catch(() => undefined);
    return run;
  }

  /** Re-reads the file on change and applies it. */
  watch(path: string): void {
    this.#watcher = new RegistryFileWatcher(path, () => this.#reload(path));
    this.#watcher.start();
  }

  stopWatching(): void {
    this.#watcher?.stop();
  }

  status(): RegistryStatus {
    return {
      stack: this.#registry.stack,
      endpoints: this.#registry.endpoints.length,
      updatedAt: new Date(this.#updatedAt).toISOString(),
      watching: this.#watcher !== undefined,
      ...(this.#reloadError ? { reloadError: this.#reloadError.message, reloadErrorAt: new Date(this.#reloadError.at).toISOString() } : {}),
    };
  }

  async #apply(input: unknown, source: string): Promise<RegistryUpdateResult> {
    const { endpoints, idle, retirement } = this.context;
    if (this.context.isClosing()) throw new PoolClosedError("the pool is closed; a registry update needs an open pool");
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
    this.#updatedAt = this.context.now();
    // placement "local" uses no registry endpoint: the registry is kept for the next update, nothing else changes.
    if (this.context.placementMode === "local") return result;

    const joining: EndpointEntry[] = [];
    for (const id of plan.removed) {
      const entry = endpoints.get(id);
      if (!entry || !entry.endpoint) continue;
      entry.removed = true;
      entry.health.draining = true;
      idle.writeOff(entry, "endpoint-removed");
      retirement.dropIfDone(entry);
    }
    for (const endpoint of plan.kept) {
      const entry = endpoints.get(endpoint.id);
      if (!entry) continue;
      this.#refresh(entry, endpoint, next.tls, plan.reconnect.includes(endpoint.id));
      if (endpoint.draining) idle.writeOff(entry, "endpoint-draining");
    }
    for (const endpoint of plan.added) {
      const leaving = endpoints.get(endpoint.id);
      if (leaving) {
        // Removed earlier and not yet dropped: it is back, with its leases.
        leaving.removed = false;
        this.#refresh(leaving, endpoint, next.tls, true);
        continue;
      }
      const entry = this.context.remoteEntry(endpoint, next.tls);
      entry.needsReconcile = true;
      endpoints.add(entry);
      joining.push(entry);
    }
    // New endpoints are unresponsive until they answer: ping them now (and remove what an earlier pool with this
    // id left there) rather than at the next health round.
    if (joining.length > 0) {
      await this.context.pingAll();
      await Promise.all(joining.map((e) => e.reconciling));
    }
    this.context.refillSoon();
    return result;
  }

  /** Takes the new registry entry of an endpoint the pool keeps. */
  #refresh(entry: EndpointEntry, endpoint: Endpoint, tls: RegistryTls, reconnect: boolean): void {
    entry.endpoint = endpoint;
    entry.labels = endpointMatchLabels(endpoint);
    entry.weight = endpoint.weight;
    entry.maxContainers = endpoint.maxContainers;
    entry.health.draining = endpoint.draining === true;
    if (reconnect) {
      entry.retiredClients.push(entry.client);
      entry.client = this.context.remoteClient(endpoint, tls);
      this.context.retirement.closeUnusedClients(entry);
    }
  }

  /** One reload of the watched file; a bad file is reported (status, metrics, a process warning) and ignored. */
  async #reload(path: string): Promise<void> {
    if (this.context.isClosing()) return;
    try {
      const next = await readRegistryFile(path);
      if (JSON.stringify(next) !== JSON.stringify(this.#registry)) {
        await this.update(next);
      }
      this.#reloadError = undefined;
    } catch (err) {
      if (this.context.isClosing()) return;
      const message = err instanceof Error ? err.message : String(err);
      this.#reloadError = { message, at: this.context.now() };
      this.context.metrics.errors.inc({ endpoint: "", kind: "registry-reload-failed" });
      process.emitWarning(`sandfleet pool ${this.context.poolId}: ignored the changed registry file ${path}, the pool keeps the registry it has: ${message}`, {
        code: "SANDFLEET_REGISTRY_RELOAD_FAILED",
      });
    }
  }
}
