/**
 * When an acquire fails at once instead of waiting: only when every endpoint that could serve it has a failure
 * that waiting cannot mend (a TLS trust/identity failure, the profile's image missing), and with the error that
 * names the fix.
 */
import { describe, expect, it } from "vitest";
import { EndpointUnavailableError, ImageNotFoundError, TlsHandshakeError } from "../../../runtime/errors";
import { CreateCircuitBreaker } from "../../../runtime/pool/circuit-breaker";
import { EndpointEntry } from "../../../runtime/pool/endpoint-entry";
import { EndpointHealth } from "../../../runtime/pool/health";
import { hopelessAcquireError } from "../../../runtime/pool/hopeless-acquire";
import type { PoolEndpointClient } from "../../../runtime/pool/session";

const IMAGE = "python:3.12-slim";

function entry(id: string, ping: "ok" | unknown): EndpointEntry {
  const e = new EndpointEntry(id, undefined, {}, 1, 10, {} as PoolEndpointClient, new EndpointHealth(false), new CreateCircuitBreaker({ failureThreshold: 3, baseBackoffMs: 1_000, maxBackoffMs: 30_000 }));
  if (ping === "ok") e.health.record(true, 0);
  else e.health.record(false, 0, ping);
  return e;
}
const unknownCa = (id: string) => new TlsHandshakeError(id, "unknown-ca", "ping: unable to verify the first certificate; re-export the registry");
const imageMissing = (e: EndpointEntry, profile = "default") => e.missingImages.set(profile, new ImageNotFoundError(IMAGE, [e.id], `No such image: ${IMAGE}`));

describe("an acquire that waiting cannot help", () => {
  it("fails with the TLS error when the only endpoint fails its handshake on trust", () => {
    const error = hopelessAcquireError([entry("a", unknownCa("a"))], "default", IMAGE);
    expect(error).toBeInstanceOf(TlsHandshakeError);
    expect(error).toMatchObject({ endpointId: "a", kind: "unknown-ca" });
  });

  it("names every endpoint and says a shared cause once", () => {
    const error = hopelessAcquireError([entry("a", unknownCa("a")), entry("b", unknownCa("b"))], "default", IMAGE) as TlsHandshakeError;
    expect(error.endpointId).toBe("a,b");
    expect(error.message.match(/re-export the registry/g)).toHaveLength(1);
  });

  it("keeps waiting while any candidate is healthy, unreachable for another reason, or failing TLS for a reason we cannot name", () => {
    expect(hopelessAcquireError([entry("a", unknownCa("a")), entry("b", "ok")], "default", IMAGE)).toBeUndefined();
    expect(hopelessAcquireError([entry("a", unknownCa("a")), entry("b", new EndpointUnavailableError("b", "ECONNREFUSED"))], "default", IMAGE)).toBeUndefined();
    expect(hopelessAcquireError([entry("a", new TlsHandshakeError("a", "other", "wrong version number"))], "default", IMAGE)).toBeUndefined();
    expect(hopelessAcquireError([], "default", IMAGE)).toBeUndefined();
  });

  it("fails with ImageNotFoundError when no candidate has the image, and mentions TLS failures elsewhere", () => {
    const a = entry("a", "ok");
    const b = entry("b", "ok");
    imageMissing(a);
    imageMissing(b);
    const error = hopelessAcquireError([a, b], "default", IMAGE) as ImageNotFoundError;
    expect(error).toBeInstanceOf(ImageNotFoundError);
    expect(error).toMatchObject({ code: "IMAGE_NOT_FOUND", image: IMAGE, endpointIds: ["a", "b"] });
    const mixed = hopelessAcquireError([a, entry("c", unknownCa("c"))], "default", IMAGE) as ImageNotFoundError;
    expect(mixed.endpointIds).toEqual(["a"]);
    expect(mixed.message).toMatch(/other candidates fail their TLS handshake: endpoint c/);
  });

  it("counts a missing image against its own profile only", () => {
    const a = entry("a", "ok");
    imageMissing(a, "python");
    expect(hopelessAcquireError([a], "python", IMAGE)).toBeInstanceOf(ImageNotFoundError);
    expect(hopelessAcquireError([a], "default", "busybox")).toBeUndefined();
  });

  it("forgets a TLS failure once the endpoint answers again", () => {
    const a = entry("a", unknownCa("a"));
    a.health.record(true, 1);
    expect(hopelessAcquireError([a], "default", IMAGE)).toBeUndefined();
  });
});
