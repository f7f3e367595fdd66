/**
 * Capacity shared with other pools. An endpoint's maxContainers is the host's, not one pool's: a second pool, a
 * sandbox service and a library pool on the same fleet all place on it. So the pool counts the sandfleet
 * containers of every other pool id on the endpoint (label dev.sandfleet.managed=true) and placement counts them
 * as used slots. The count is refreshed on every answered health ping and again right before each create, so two
 * pools deciding at once can overshoot only by the creates both started within the few milliseconds of one list.
 */
import type { EndpointEntry } from "./endpoint-entry";
import { POOL_LABELS } from "./labels";

export class OtherPoolsCounter {
  readonly #inFlight = new Map<EndpointEntry, Promise<void>>();

  constructor(private readonly poolId: string) {}

  /** Re-counts the other pools' containers on the endpoint (one list at a time per endpoint); never throws. */
  refresh(entry: EndpointEntry): Promise<void> {
    const running = this.#inFlight.get(entry);
    if (running) return running;
    const run = entry.client
      .listContainers({ [POOL_LABELS.managed]: "true" })
      .then((containers) => {
        entry.otherPools = containers.filter((c) => c.Labels?.[POOL_LABELS.pool] !== this.poolId).length;
      })
      .catch(() => undefined) // keep the last count; the health ping reports the endpoint's trouble
      .finally(() => this.#inFlight.delete(entry));
    this.#inFlight.set(entry, run);
    return run;
  }
}
