/**
 * Letting go of endpoints and clients only once nothing uses them: an endpoint gone from the registry is dropped
 * after its last sandbox (leased ones keep working until released), sweeping whatever of this pool is left on
 * it; a client replaced by a registry update (new address, rotated TLS) is closed once no sandbox created with it
 * remains.
 */
import type { BackgroundWork } from "./background-work";
import type { EndpointEntry } from "./endpoint-entry";
import type { EndpointSet } from "./endpoint-set";
import { poolSelector } from "./labels";
import type { PoolEndpointClient } from "./session";

export class EndpointRetirement {
  constructor(
    private readonly poolId: string,
    private readonly endpoints: EndpointSet,
    private readonly background: BackgroundWork,
    /** Clients that sandboxes (idle, leased, being created) on the endpoint still use. */
    private readonly clientsInUse: (entry: EndpointEntry) => Iterable<PoolEndpointClient>,
    private readonly isClosing: () => boolean,
  ) {}

  /** Closes replaced clients that no sandbox (idle, leased or being created) uses any more. */
  closeUnusedClients(entry: EndpointEntry): void {
    if (entry.retiredClients.length === 0) return;
    const inUse = new Set<PoolEndpointClient>(this.clientsInUse(entry));
    // A removal in flight may still use an old client: wait for it.
    if (entry.destroying.size > 0) return;
    entry.retiredClients = entry.retiredClients.filter((client) => {
      if (inUse.has(client)) return true;
      client.close();
      return false;
    });
  }

  /** Drops an endpoint that left the registry once nothing of it is left, sweeping what a failed removal left there. */
  dropIfDone(entry: EndpointEntry): void {
    if (!entry.removed || entry.total > 0 || this.isClosing() || !this.endpoints.includes(entry)) return;
    this.endpoints.drop(entry);
    void this.background.track(
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
}
