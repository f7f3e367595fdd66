/**
 * Destroying a sandbox's container. The pool forgets the name first, so that if the removal fails (or the host
 * does not answer) the container counts as unknown and the next reconciliation of its endpoint removes it.
 * Removals are tracked per endpoint because a removed endpoint may only be dropped (and its client closed)
 * once they settled, and counted (`entry.removing`) because a container being removed still takes its slot on
 * the host: placement sees it as used until the removal settled, then the refill is woken for the freed slot.
 */
import type { BackgroundWork } from "./background-work";
import type { EndpointEntry } from "./endpoint-entry";
import type { PoolMetrics } from "./metrics";
import type { PoolSession } from "./session";

export class SandboxRemoval {
  constructor(
    private readonly metrics: PoolMetrics,
    private readonly background: BackgroundWork,
    /** Called after each removal settled: its slot is free, and the endpoint may now be empty enough to drop. */
    private readonly afterRemoval: (entry: EndpointEntry) => void,
  ) {}

  /** Forgets the container at once and removes it, bounded (the session's own deadline); never rejects. */
  remove(entry: EndpointEntry, name: string, session: PoolSession): Promise<void> {
    entry.known.delete(name);
    entry.removing += 1;
    const destroying = session
      .destroy()
      .catch(() => {
        this.metrics.errors.inc({ endpoint: entry.id, kind: "destroy-failed" });
        entry.needsReconcile = true;
      })
      .finally(() => {
        entry.removing -= 1;
        entry.destroying.delete(destroying);
        this.afterRemoval(entry);
      });
    entry.destroying.add(destroying);
    return this.background.track(destroying);
  }
}
