/**
 * Removes containers of this pool id that the pool does not know: left by a crashed earlier instance (at
 * start), written off while their endpoint did not answer, or left by a failed create or removal. Runs when an
 * endpoint that needs it answers a ping; one run per endpoint at a time; a failed run is retried on the next
 * answered ping.
 */
import type { BackgroundWork } from "./background-work";
import type { EndpointEntry } from "./endpoint-entry";
import { poolSelector } from "./labels";
import type { PoolMetrics } from "./metrics";

export class OrphanReconciler {
  constructor(
    private readonly poolId: string,
    private readonly metrics: PoolMetrics,
    private readonly background: BackgroundWork,
  ) {}

  reconcile(entry: EndpointEntry): Promise<void> {
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
    return this.background.track(run);
  }
}
