/**
 * What `acquire()` accepts, checked before anything waits: an unknown option, profile or malformed affinity
 * fails at once with InvalidAcquireRequestError, and an affinity no endpoint could ever match fails at once with
 * NoMatchingEndpointError, instead of both surfacing as an acquire timeout much later.
 */
import { InvalidAcquireRequestError, NoMatchingEndpointError } from "../errors";
import { preferredAffinitySchema, PreferredAffinityTerm, RequiredAffinity, requiredAffinitySchema } from "./affinity";
import type { EndpointSet } from "./endpoint-set";
import type { ResolvedPoolOptions } from "./options";
import type { PlacementRequest } from "./placement";

export interface AcquireOptions {
  /** Required endpoint affinity (Kubernetes node-affinity semantics: terms ORed, expressions ANDed). */
  affinity?: RequiredAffinity;
  /** Preferred terms; matching weights add to an endpoint's score (capped). */
  preferred?: PreferredAffinityTerm[];
  /** Profile name. @default the pool's defaultProfile */
  profile?: string;
  /** Deadline of this acquire. @default the pool's acquireTimeoutMs */
  timeoutMs?: number;
}

/** An acquire request with its defaults applied. */
export interface AcquireRequest {
  profile: string;
  request: PlacementRequest;
  timeoutMs: number;
}

export function validateAcquireRequest(options: AcquireOptions, poolOptions: ResolvedPoolOptions, endpoints: EndpointSet): AcquireRequest {
  if (typeof options !== "object" || options === null) throw new InvalidAcquireRequestError("acquire() takes an options object, e.g. acquire({ profile: 'default' })");
  const unknown = Object.keys(options).filter((k) => !["affinity", "preferred", "profile", "timeoutMs"].includes(k));
  if (unknown.length) throw new InvalidAcquireRequestError(`acquire(): unknown option ${unknown.map((k) => `'${k}'`).join(", ")}; allowed: affinity, preferred, profile, timeoutMs`);
  const profile = options.profile ?? poolOptions.defaultProfile;
  if (!poolOptions.profiles[profile]) {
    throw new InvalidAcquireRequestError(`acquire(): no profile "${profile}"; the pool has ${Object.keys(poolOptions.profiles).join(", ")} (add it to createPool({ profiles }))`);
  }
  const timeoutMs = options.timeoutMs ?? poolOptions.acquireTimeoutMs;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new InvalidAcquireRequestError(`acquire(): timeoutMs must be a positive number of milliseconds, got ${timeoutMs}`);
  if (options.affinity !== undefined) {
    const r = requiredAffinitySchema.safeParse(options.affinity);
    if (!r.success) throw new InvalidAcquireRequestError(`acquire(): invalid affinity: ${r.error.issues.map((i) => `${i.path.join(".") || "affinity"}: ${i.message}`).join("; ")}`);
  }
  if (options.preferred !== undefined) {
    const r = preferredAffinitySchema.safeParse(options.preferred);
    if (!r.success) throw new InvalidAcquireRequestError(`acquire(): invalid preferred affinity: ${r.error.issues.map((i) => `${i.path.join(".") || "preferred"}: ${i.message}`).join("; ")}`);
  }
  const request: PlacementRequest = { affinity: options.affinity, preferred: options.preferred };
  if (!endpoints.all.some((e) => endpoints.canEverServe(e, profile, request))) {
    throw new NoMatchingEndpointError(
      `acquire(): no endpoint matches the required affinity ${JSON.stringify(options.affinity)} for profile "${profile}"` +
        ` (endpoints: ${endpoints.all.map((e) => `${e.id} ${JSON.stringify(e.endpoint?.labels ?? e.labels)}`).join("; ")}); ` +
        `relax the affinity or add an endpoint with matching labels to the registry`,
    );
  }
  return { profile, request, timeoutMs };
}
