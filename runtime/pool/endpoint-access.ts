/**
 * What the pool lends to code that places long-lived containers of its own on the same fleet (persistent
 * workspaces, runtime/workspace/): the endpoints' clients and states, the profiles, and placement with the pool's
 * own rules (affinity, health, breaker, capacity counted from every sandfleet container on the host). One pool,
 * one set of health pings and clients per endpoint, so a workspace host is "ready" exactly when sandboxes think so.
 */
import type { SandboxProfile } from "../sandbox/profile";
import type { AcquireOptions } from "./acquire-request";
import type { EndpointState, PlacementDecision, PlacementRequest } from "./placement";
import type { PoolEndpointClient } from "./session";

export interface AccessibleEndpoint {
  id: string;
  client: PoolEndpointClient;
  state: EndpointState;
  /** False once the endpoint left the registry (it stays until the pool drops it, then it is undefined). */
  inRegistry: boolean;
}

export interface PoolEndpointAccess {
  readonly profiles: Readonly<Record<string, SandboxProfile>>;
  readonly defaultProfile: string;
  /** Deadline of one create + start + channel open (the pool's createTimeoutMs). */
  readonly createTimeoutMs: number;
  /** How long a session whose attach stream was cut re-attaches (the pool's endpointOutageGraceMs). */
  readonly reattachTimeoutMs: number;
  /** The endpoint by id, or undefined when the pool does not (or no longer) know it. */
  endpoint(id: string): AccessibleEndpoint | undefined;
  endpoints(): AccessibleEndpoint[];
  /** Checks profile and affinity as acquire() does (InvalidAcquireRequestError, NoMatchingEndpointError). */
  validate(options: Pick<AcquireOptions, "profile" | "affinity" | "preferred">): { profile: string; request: PlacementRequest };
  /** The endpoint a new long-lived container goes to now, with the reason each other endpoint was left out. */
  place(profile: string, request: PlacementRequest): PlacementDecision;
  /** Re-counts the other pools' containers on the endpoint (after a workspace container came or went). */
  recount(id: string): Promise<void>;
}
