/**
 * One endpoint as the pool tracks it: its current registry entry, client, health and create breaker, and the
 * counts placement needs (idle + leased + creating is what `maxContainers` limits). The counts and the
 * `known` names are kept in step by the parts that move sandboxes (creator, idle list, leases, removal);
 * `known` is what reconciliation compares with the containers the endpoint really has.
 */
import type { Endpoint } from "../registry/schema";
import type { CreateCircuitBreaker } from "./circuit-breaker";
import type { EndpointHealth } from "./health";
import type { PoolEndpointClient } from "./session";

export type ContainerState = "idle" | "leased" | "creating";

/** What the pool believes about one container (by name) on an endpoint. */
export interface KnownContainer {
  profile: string;
  state: ContainerState;
  containerId?: string;
}

export class EndpointEntry {
  idle = 0;
  leased = 0;
  creating = 0;
  /** Names of every container the pool believes exists here (idle, leased, creating). */
  readonly known = new Map<string, KnownContainer>();
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
