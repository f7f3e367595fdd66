/**
 * Where a new sandbox goes: filter, score, then pick at random among the near-best (power-of-K), so that
 * many pools (or many refills in one pool) do not all pile onto the single best-scored host.
 *
 * 1. Filter: required affinity; endpoint state (only `ready`, so unresponsive and draining endpoints get no
 *    new work); create circuit closed; capacity (idle + leased + creating + removing, plus other pools' containers, < maxContainers); concurrent creates
 *    below the per-endpoint limit; pool-wide total below maxTotal.
 * 2. Score (0..100 from the strategy, plus preferred-affinity weights capped at `preferredWeightCap`):
 *    - `spread`:   free share of the endpoint (1 - used / maxContainers) — empties fill first.
 *    - `binpack`:  used share — fill one endpoint before opening the next (fewer hosts busy).
 *    - `weighted`: weight / (used + 1), normalised to the best candidate — load proportional to `weight`.
 * 3. Choose: candidates within `nearEqualPoints` of the best score; sample K of them at random and take the
 *    best of the sample (ties broken by the random order).
 *
 * Pure: no I/O, no clock; randomness injected. Unit-tested in test/unit/runtime/pool-placement.test.ts.
 */
import { preferredAffinityScore, PreferredAffinityTerm, RequiredAffinity, requiredAffinityMatches } from "./affinity";

export type PlacementStrategy = "spread" | "binpack" | "weighted";
export type EndpointState = "ready" | "unresponsive" | "draining";

/** What placement needs to know about one endpoint right now. */
export interface EndpointView {
  id: string;
  labels: Readonly<Record<string, string>>;
  weight: number;
  maxContainers: number;
  state: EndpointState;
  /** The create circuit breaker is open (recent creates kept failing): no new creates until it half-opens. */
  circuitOpen: boolean;
  idle: number;
  leased: number;
  creating: number;
  /** Containers being removed (released, not gone yet): used slots until Docker removed them. @default 0 */
  removing?: number;
  /** Containers of other pools (services, library pools) on the endpoint: used slots all the same. @default 0 */
  otherPools?: number;
}

/** Slots of maxContainers in use: this pool's containers and every other pool's. */
export function usedSlots(endpoint: EndpointView): number {
  return endpoint.idle + endpoint.leased + endpoint.creating + (endpoint.removing ?? 0) + (endpoint.otherPools ?? 0);
}

export interface PlacementRequest {
  affinity?: RequiredAffinity;
  preferred?: readonly PreferredAffinityTerm[];
}

export interface PlacementPolicy {
  strategy: PlacementStrategy;
  /** Pool-wide cap on idle + leased + creating; Infinity for none. */
  maxTotal: number;
  /** Containers (idle + leased + creating) in the whole pool now. */
  total: number;
  maxConcurrentCreatesPerEndpoint: number;
  /** @default 2 */
  powerOfK?: number;
  /** @default 5 */
  nearEqualPoints?: number;
  /** @default 100 */
  preferredWeightCap?: number;
  /** Returns a float in [0, 1). @default Math.random */
  random?: () => number;
}

/** Why endpoints were left out; turned into the message of an acquire timeout. */
export type RejectionReason = "affinity" | "unresponsive" | "draining" | "backing-off" | "full" | "create-limit" | "max-total";

export interface ScoredEndpoint {
  id: string;
  score: number;
}

export interface PlacementDecision {
  /** The chosen endpoint, or undefined when no endpoint qualifies. */
  endpointId?: string;
  candidates: ScoredEndpoint[];
  rejected: Record<string, RejectionReason>;
}

/** The filter step alone: why an endpoint cannot take a new create now (undefined = it can). */
export function rejectionReason(
  endpoint: EndpointView,
  request: PlacementRequest,
  policy: Pick<PlacementPolicy, "maxTotal" | "total" | "maxConcurrentCreatesPerEndpoint">,
): RejectionReason | undefined {
  if (!requiredAffinityMatches(request.affinity, endpoint.labels)) return "affinity";
  if (endpoint.state === "unresponsive") return "unresponsive";
  if (endpoint.state === "draining") return "draining";
  if (endpoint.circuitOpen) return "backing-off";
  if (policy.total >= policy.maxTotal) return "max-total";
  if (usedSlots(endpoint) >= endpoint.maxContainers) return "full";
  if (endpoint.creating >= policy.maxConcurrentCreatesPerEndpoint) return "create-limit";
  return undefined;
}

/** The strategy's score of one endpoint, 0..100 (weighted is normalised later, against the best). */
export function strategyScore(strategy: PlacementStrategy, endpoint: EndpointView): number {
  const used = usedSlots(endpoint);
  switch (strategy) {
    case "spread":
      return 100 * (1 - used / endpoint.maxContainers);
    case "binpack":
      return 100 * (used / endpoint.maxContainers);
    case "weighted":
      return endpoint.weight / (used + 1);
    default: {
      const never: never = strategy;
      throw new Error(`unknown placement strategy ${String(never)}`);
    }
  }
}

/** Scores every endpoint that passes the filter, best first. */
export function scoreEndpoints(
  endpoints: readonly EndpointView[],
  request: PlacementRequest,
  policy: PlacementPolicy,
): { candidates: ScoredEndpoint[]; rejected: Record<string, RejectionReason> } {
  const rejected: Record<string, RejectionReason> = {};
  const eligible: EndpointView[] = [];
  for (const endpoint of endpoints) {
    const reason = rejectionReason(endpoint, request, policy);
    if (reason) rejected[endpoint.id] = reason;
    else eligible.push(endpoint);
  }
  const raw = eligible.map((e) => strategyScore(policy.strategy, e));
  const best = Math.max(0, ...raw);
  const cap = policy.preferredWeightCap ?? 100;
  const candidates = eligible.map((endpoint, i) => {
    const base = policy.strategy === "weighted" ? (best > 0 ? (100 * raw[i]!) / best : 0) : raw[i]!;
    return { id: endpoint.id, score: base + preferredAffinityScore(request.preferred, endpoint.labels, cap) };
  });
  candidates.sort((a, b) => b.score - a.score);
  return { candidates, rejected };
}

/** Filter, score and choose one endpoint (power-of-K among the near-best). */
export function placeSandbox(
  endpoints: readonly EndpointView[],
  request: PlacementRequest,
  policy: PlacementPolicy,
): PlacementDecision {
  const { candidates, rejected } = scoreEndpoints(endpoints, request, policy);
  if (candidates.length === 0) return { candidates, rejected };
  const nearEqual = policy.nearEqualPoints ?? 5;
  const top = candidates[0]!.score;
  const pool = candidates.filter((c) => c.score >= top - nearEqual);
  const sample = sampleWithoutReplacement(pool, Math.max(1, policy.powerOfK ?? 2), policy.random ?? Math.random);
  // The sample keeps the random order, so equal scores are broken at random.
  let chosen = sample[0]!;
  for (const c of sample) if (c.score > chosen.score) chosen = c;
  return { endpointId: chosen.id, candidates, rejected };
}

function sampleWithoutReplacement<T>(items: readonly T[], k: number, random: () => number): T[] {
  const copy = items.slice();
  const n = Math.min(k, copy.length);
  // Partial Fisher-Yates: the first n slots become a uniform random sample.
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, n);
}

/**
 * The labels placement matches against: the registry's labels plus implicit `sandfleet.dev/*` ones, so a
 * request can pin an endpoint id, provider, region, location or runtime without the registry repeating them.
 */
export function endpointMatchLabels(endpoint: {
  id: string;
  provider: string;
  region: string;
  location: string;
  runtime: string;
  labels: Record<string, string>;
}, local = false): Record<string, string> {
  return {
    "sandfleet.dev/endpoint": endpoint.id,
    "sandfleet.dev/provider": endpoint.provider,
    "sandfleet.dev/region": endpoint.region,
    "sandfleet.dev/location": endpoint.location,
    "sandfleet.dev/runtime": endpoint.runtime,
    "sandfleet.dev/local": String(local),
    ...endpoint.labels,
  };
}
