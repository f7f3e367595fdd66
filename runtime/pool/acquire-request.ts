/**
 * What `acquire()` accepts, checked before anything waits: an unknown option, profile or malformed affinity
 * fails at once with InvalidAcquireRequestError, and an affinity no endpoint could ever match fails at once with
 * NoMatchingEndpointError, instead of both surfacing as an acquire timeout much later.
 */
import { ZodError } from "zod";
import { InvalidAcquireRequestError, NoMatchingEndpointError } from "../errors";
import { EgressPolicy, EgressPolicyInput, narrowEgress } from "../sandbox/egress";
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
  /**
   * This sandbox's egress policy, within its profile's (narrowing only: EgressWidenedError otherwise, the same
   * rule as Sandbox.setEgress). Applied before the sandbox is handed out. @default the profile's egress
   */
  egress?: EgressPolicyInput;
}

/** An acquire request with its defaults applied. */
export interface AcquireRequest {
  profile: string;
  request: PlacementRequest;
  timeoutMs: number;
  /** The request's own egress policy (already checked to be within the profile's), if it asked for one. */
  egress?: EgressPolicy;
}

export function validateAcquireRequest(options: AcquireOptions, poolOptions: ResolvedPoolOptions, endpoints: EndpointSet): AcquireRequest {
  if (typeof options !== "object" || options === null) throw new InvalidAcquireRequestError("acquire() takes an options object, e.g. acquire({ profile: 'default' })");
  const unknown = Object.keys(options).filter((k) => !["affinity", "preferred", "profile", "timeoutMs", "egress"].includes(k));
  if (unknown.length) throw new InvalidAcquireRequestError(`acquire(): unknown option ${unknown.map((k) => `'${k}'`).join(", ")}; allowed: affinity, preferred, profile, timeoutMs, egress`);
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
  let egress: EgressPolicy | undefined;
  if (options.egress !== undefined) {
    try {
      // The one narrowing rule (egress.ts): EgressWidenedError, naming the entry, passes through as it is.
      const limit = poolOptions.profiles[profile]!.egress;
      egress = narrowEgress(limit, options.egress);
      // "none" under a profile without egress is what the sandbox has already: nothing to apply.
      if (limit.mode === "none") egress = undefined;
    } catch (err) {
      if (!(err instanceof ZodError)) throw err;
      const issue = err.issues[0]!;
      throw new InvalidAcquireRequestError(`acquire(): invalid egress.${issue.path.join(".") || "mode"}: ${issue.message} (docs/egress.md)`);
    }
  }
  const request: PlacementRequest = { affinity: options.affinity, preferred: options.preferred };
  if (!endpoints.all.some((e) => endpoints.canEverServe(e, profile, request))) {
    throw new NoMatchingEndpointError(
      `acquire(): no endpoint matches the required affinity ${JSON.stringify(options.affinity)} for profile "${profile}"` +
        ` (endpoints: ${endpoints.all.map((e) => `${e.id} ${JSON.stringify(e.endpoint?.labels ?? e.labels)}`).join("; ")}); ` +
        `relax the affinity or add an endpoint with matching labels to the registry`,
    );
  }
  return egress ? { profile, request, timeoutMs, egress } : { profile, request, timeoutMs };
}
