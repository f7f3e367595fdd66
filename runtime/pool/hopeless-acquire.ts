/**
 * Failures that waiting cannot mend, so an acquire facing only those fails at once instead of timing out: an
 * endpoint whose TLS handshake fails on trust or identity (the registry's CA did not sign the server cert, the
 * daemon refuses our client cert, the cert does not cover the name, a cert expired), and an endpoint without the
 * profile's image. Each is corrected by an operator (re-export the registry, rotate certs, load the image), never
 * by time. When at least one endpoint that could serve the request has neither, the acquire waits as usual (and
 * the endpoints that can serve it get the creates).
 */
import { ImageNotFoundError, TlsHandshakeError } from "../errors";
import type { EndpointEntry } from "./endpoint-entry";

/** The failure that rules the endpoint out for this profile until an operator acts, if any. */
export function persistentFailure(entry: EndpointEntry, profile: string): TlsHandshakeError | ImageNotFoundError | undefined {
  const ping = entry.health.lastFailure;
  // "other" covers handshakes that failed for reasons we cannot name (a proxy, a half-started daemon): keep waiting.
  if (entry.health.state === "unresponsive" && ping instanceof TlsHandshakeError && ping.kind !== "other") return ping;
  return entry.missingImages.get(profile);
}

/**
 * The error to reject the acquire with when every candidate endpoint has a persistent failure; undefined while
 * any candidate may still serve it. A missing image wins over TLS failures elsewhere: it is the one to fix on
 * the endpoints that can be reached.
 */
export function hopelessAcquireError(candidates: readonly EndpointEntry[], profile: string, image: string): TlsHandshakeError | ImageNotFoundError | undefined {
  if (candidates.length === 0) return undefined;
  const failures = candidates.map((e) => persistentFailure(e, profile));
  if (failures.some((f) => f === undefined)) return undefined;
  const tls = failures.filter((f): f is TlsHandshakeError => f instanceof TlsHandshakeError);
  const missing = failures.filter((f): f is ImageNotFoundError => f instanceof ImageNotFoundError);
  if (missing.length > 0) {
    const elsewhere = tls.length > 0 ? `the other candidates fail their TLS handshake: ${tls.map((t) => t.message).join("; ")}` : undefined;
    return new ImageNotFoundError(image, missing.flatMap((m) => m.endpointIds), elsewhere);
  }
  if (tls.length === 1) return tls[0];
  // Usually one cause for all (one registry, one CA): say it once.
  const details = [...new Set(tls.map((t) => t.detail))];
  return new TlsHandshakeError(tls.map((t) => t.endpointId).join(","), tls[0]!.kind, details.join(" | "), { cause: tls[0] });
}
