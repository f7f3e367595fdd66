/**
 * A running sandbox the pool owns, idle or leased: the session plus where it lives. It keeps the client it was
 * created with, because a registry update may give its endpoint a new client (rotated TLS, new address) while
 * this sandbox still talks through the old one; old clients are closed only once no sandbox uses them.
 */
import type { EndpointEntry } from "./endpoint-entry";
import type { PoolEndpointClient, PoolSession } from "./session";

export interface PooledSandbox {
  session: PoolSession;
  client: PoolEndpointClient;
  /** Container name, `sf-<poolId>-<random>`: the key of `entry.known`. */
  name: string;
  profile: string;
  entry: EndpointEntry;
  idleSince: number;
}
