/**
 * The endpoints the pool places sandboxes on, and the placement questions asked about them: which endpoints
 * could ever serve a request (affinity, runtime), which one takes the next create now (health, breaker,
 * capacity, strategy; see placement.ts), whether only failures waiting cannot mend stand in the way
 * (hopeless-acquire.ts), and the pool-wide total against maxTotal.
 */
import type { ImageNotFoundError, TlsHandshakeError } from "../errors";
import { requiredAffinityMatches } from "./affinity";
import type { EndpointEntry } from "./endpoint-entry";
import { hopelessAcquireError } from "./hopeless-acquire";
import type { ResolvedPoolOptions } from "./options";
import { EndpointView, placeSandbox, PlacementDecision, PlacementPolicy, PlacementRequest } from "./placement";

export class EndpointSet {
  readonly #entries: EndpointEntry[];
  readonly #byId = new Map<string, EndpointEntry>();

  constructor(
    entries: EndpointEntry[],
    private readonly options: ResolvedPoolOptions,
    private readonly now: () => number,
    private readonly random: () => number,
  ) {
    this.#entries = entries;
    for (const e of entries) this.#byId.set(e.id, e);
  }

  /** Every endpoint, in registry order (endpoints a registry update adds come last). */
  get all(): readonly EndpointEntry[] {
    return this.#entries;
  }

  get(id: string): EndpointEntry | undefined {
    return this.#byId.get(id);
  }

  /** Whether this very entry is still part of the pool (not dropped, not replaced by a re-added endpoint). */
  includes(entry: EndpointEntry): boolean {
    return this.#byId.get(entry.id) === entry;
  }

  add(entry: EndpointEntry): void {
    this.#entries.push(entry);
    this.#byId.set(entry.id, entry);
  }

  drop(entry: EndpointEntry): void {
    this.#entries.splice(this.#entries.indexOf(entry), 1);
    this.#byId.delete(entry.id);
  }

  /** Affinity and runtime, ignoring health and load: could this endpoint ever serve the request? */
  canEverServe(entry: EndpointEntry, profile: string, request: PlacementRequest): boolean {
    if (entry.removed) return false;
    // A gVisor profile never lands on an endpoint the registry declares as runc-only.
    if (entry.endpoint && this.options.profiles[profile]!.runtime === "runsc" && entry.endpoint.runtime !== "runsc") return false;
    return requiredAffinityMatches(request.affinity, entry.labels);
  }

  /** The endpoints that could ever serve the request. */
  matching(profile: string, request: PlacementRequest): EndpointEntry[] {
    return this.#entries.filter((e) => this.canEverServe(e, profile, request));
  }

  /** The endpoint for the next create of this request now, if any can take it (never one lacking the image). */
  place(profile: string, request: PlacementRequest): EndpointEntry | undefined {
    const decision = this.decide(this.matching(profile, request).filter((e) => !e.missingImages.has(profile)), request);
    return decision.endpointId ? this.#byId.get(decision.endpointId) : undefined;
  }

  /** The error to fail the request with now, when every endpoint that could serve it has a persistent failure. */
  hopeless(profile: string, request: PlacementRequest): TlsHandshakeError | ImageNotFoundError | undefined {
    return hopelessAcquireError(this.matching(profile, request), profile, this.options.profiles[profile]!.image);
  }

  /** The full placement decision over `entries`, with the reason each rejected endpoint was left out. */
  decide(entries: readonly EndpointEntry[], request: PlacementRequest, overrides: Partial<PlacementPolicy> = {}): PlacementDecision {
    return placeSandbox(this.#views(entries), request, { ...this.#policy(), ...overrides });
  }

  /** Containers (idle + leased + creating) in the whole pool. */
  total(): number {
    return this.#entries.reduce((n, e) => n + e.total, 0);
  }

  /** maxTotal, or the sum of maxContainers of the endpoints still in the registry. */
  maxTotal(): number {
    return this.options.maxTotal ?? this.#entries.reduce((n, e) => n + (e.removed ? 0 : e.maxContainers), 0);
  }

  #views(entries: readonly EndpointEntry[]): EndpointView[] {
    const now = this.now();
    return entries.map((e) => ({
      id: e.id,
      labels: e.labels,
      weight: e.weight,
      maxContainers: e.maxContainers,
      state: e.health.state,
      circuitOpen: !e.breaker.allows(now),
      idle: e.idle,
      leased: e.leased,
      creating: e.creating,
      removing: e.removing,
      otherPools: e.otherPools,
    }));
  }

  #policy(): PlacementPolicy {
    const p = this.options.placement;
    return {
      strategy: p.strategy,
      maxTotal: this.maxTotal(),
      total: this.total(),
      maxConcurrentCreatesPerEndpoint: this.options.maxConcurrentCreatesPerEndpoint,
      powerOfK: p.powerOfK,
      nearEqualPoints: p.nearEqualPoints,
      preferredWeightCap: p.preferredWeightCap,
      random: this.random,
    };
  }
}
