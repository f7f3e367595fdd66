/**
 * The error an acquire that got nothing before its deadline rejects with, saying why and what to change: the
 * pool is exhausted (PoolExhaustedError), every matching endpoint is unavailable (cause
 * EndpointUnavailableError), or creates were too slow or failed (cause: the last create error).
 */
import { AcquireTimeoutError, EndpointUnavailableError, ImageNotFoundError, PoolExhaustedError, TlsHandshakeError } from "../errors";
import type { EndpointEntry } from "./endpoint-entry";
import type { EndpointSet } from "./endpoint-set";
import type { PlacementRequest, RejectionReason } from "./placement";

/** What is known about the acquire that timed out. */
export interface TimedOutAcquire {
  profile: string;
  request: PlacementRequest;
  timeoutMs: number;
  /** The last failure of a create started for this acquire. */
  lastCreateError: unknown;
}

export function acquireTimeoutError(acquire: TimedOutAcquire, endpoints: EndpointSet): AcquireTimeoutError {
  const { timeoutMs, profile } = acquire;
  const matching = endpoints.matching(profile, acquire.request);
  const decision = endpoints.decide(endpoints.all, acquire.request);
  const reasons = matching.map((e) => [e, decision.rejected[e.id]] as const);
  // A successful ping clears an endpoint's missing images (an operator may have loaded them), so the deadline
  // can fall between that ping and the create that finds the image missing again: the last create still knows.
  const lastCreateLacked = (e: EndpointEntry) => {
    const err = acquire.lastCreateError;
    return err instanceof ImageNotFoundError && err.endpointIds.includes(e.id) ? err : undefined;
  };
  const describe = (e: EndpointEntry, r: RejectionReason | undefined) => {
    const lacking = e.missingImages.get(profile) ?? lastCreateLacked(e);
    const detail =
      r === "unresponsive" ? `unresponsive (${e.health.lastError ?? "no answer"})`
      : r === "backing-off" ? `backing off after ${e.breaker.failures} failed creates (${errorText(e.breaker.lastError)})`
      : r === "full" ? `full (${e.total}${e.otherPools ? ` + ${e.otherPools} of other pools` : ""}/${e.maxContainers})`
      : lacking ? `lacks image "${lacking.image}"`
      : r ?? "available";
    return `${e.id}: ${detail}`;
  };
  const summary = reasons.map(([e, r]) => describe(e, r)).join("; ");
  const prefix = `acquire() got no "${profile}" sandbox within ${timeoutMs} ms`;
  if (reasons.length > 0 && reasons.every(([, r]) => r === "full" || r === "max-total")) {
    return new PoolExhaustedError(
      `${prefix}: the pool is exhausted (${endpoints.total()} containers; maxTotal ${endpoints.maxTotal()}; ${summary}); ` +
        `release sandboxes sooner, raise maxContainers/maxTotal, or add endpoints`,
      timeoutMs,
    );
  }
  if (reasons.length > 0 && reasons.every(([, r]) => r === "unresponsive" || r === "draining" || r === "backing-off")) {
    const cause = new EndpointUnavailableError(reasons.map(([e]) => e.id).join(","), `no endpoint matching the request can take work: ${summary}`);
    return new AcquireTimeoutError(
      `${prefix}: every matching endpoint is unavailable (${summary}); fix or replace those hosts (sandfleet doctor --registry FILE), or relax the affinity`,
      timeoutMs,
      { cause },
    );
  }
  const lastError = acquire.lastCreateError;
  // These carry their own fix; "wait longer" is not it.
  const ownFix = lastError instanceof ImageNotFoundError || lastError instanceof TlsHandshakeError;
  return new AcquireTimeoutError(
    `${prefix}: ${lastError ? `the last create failed (${errorText(lastError)})` : "creating a sandbox took longer"}; ` +
      `endpoints: ${summary}` +
      (ownFix ? "" : "; raise timeoutMs, or raise minIdle so sandboxes are warm before they are needed"),
    timeoutMs,
    lastError ? { cause: lastError } : undefined,
  );
}

function errorText(err: unknown): string {
  if (err === undefined) return "no error recorded";
  return err instanceof Error ? err.message : String(err);
}
