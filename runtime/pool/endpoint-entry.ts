/**
 * One endpoint as the pool tracks it: its current registry entry, client, health and create breaker, and the
 * counts placement needs (idle + leased + creating + removing is what `maxContainers` limits). The counts and the
 * `known` names are kept in step by the parts that move sandboxes (creator, idle list, leases, removal);
 * `known` is what reconciliation compares with the containers the endpoint really has.
 */
import type { ImageNotFoundError } from "../errors";
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
  /** Containers released or written off whose removal has not settled yet: they still take a slot. */
  removing = 0;
  /** Sandfleet containers of other pools here (other-pools.ts): they take slots of maxContainers too. */
  otherPools = 0;
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
  /**
   * Profiles whose image a create found missing here, until the next answered health ping (an operator may
   * `docker load` it meanwhile): placement skips the endpoint for them, and an acquire no endpoint can serve
   * otherwise fails fast with this error.
   */
  readonly missingImages = new Map<string, ImageNotFoundError>();
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
    return this.idle + this.leased + this.creating + this.removing;
  }
}
