import { describe, expect, it } from "vitest";
import { RegistryError } from "../../../runtime/registry/schema";
import type { Endpoint, EndpointRegistry } from "../../../runtime/registry/schema";
import { assertSameStack, planRegistryUpdate } from "../../../runtime/pool/registry-update";
import { unitEndpoint, unitRegistry } from "./support/registry-fixture";

const endpoint = unitEndpoint;
const registry = (endpoints: Endpoint[], tls: Partial<EndpointRegistry["tls"]> = {}, stack = "prod") => unitRegistry(endpoints, { stack, tls });

describe("planning a registry update", () => {
  it("sorts endpoints into added, removed and kept by id", () => {
    const plan = planRegistryUpdate(registry([endpoint("a"), endpoint("b")]), registry([endpoint("b"), endpoint("c")]));
    expect(plan.added.map((e) => e.id)).toEqual(["c"]);
    expect(plan.removed).toEqual(["a"]);
    expect(plan.kept.map((e) => e.id)).toEqual(["b"]);
    expect(plan.reconnect).toEqual([]);
    expect(plan.tlsChanged).toBe(false);
  });

  it("notices draining turning on and off", () => {
    const plan = planRegistryUpdate(
      registry([endpoint("a"), endpoint("b", { draining: true }), endpoint("c", { draining: false })]),
      registry([endpoint("a", { draining: true }), endpoint("b"), endpoint("c")]),
    );
    expect(plan.drainingStarted).toEqual(["a"]);
    expect(plan.drainingEnded).toEqual(["b"]);
  });

  it("reconnects an endpoint whose host, port or serverName changed, and none for label or weight changes", () => {
    const plan = planRegistryUpdate(
      registry([endpoint("a"), endpoint("b"), endpoint("c"), endpoint("d")]),
      registry([endpoint("a", { host: "10.0.0.2" }), endpoint("b", { port: 2377 }), endpoint("c", { serverName: "c.internal" }), endpoint("d", { weight: 3, labels: { tier: "x" } })]),
    );
    expect(plan.reconnect).toEqual(["a", "b", "c"]);
  });

  it("reconnects every kept endpoint when the client cert, key or CA is rotated", () => {
    const rotated = "-----BEGIN CERTIFICATE-----\nBB==\n-----END CERTIFICATE-----\n";
    const plan = planRegistryUpdate(registry([endpoint("a"), endpoint("b")]), registry([endpoint("a"), endpoint("b"), endpoint("c")], { clientCert: rotated }));
    expect(plan.tlsChanged).toBe(true);
    expect(plan.reconnect).toEqual(["a", "b"]);
    expect(plan.added.map((e) => e.id)).toEqual(["c"]);
  });

  it("rejects a registry of another stack, naming both stacks and the fix", () => {
    expect(() => assertSameStack(registry([]), registry([], {}, "staging"), "updateRegistry(registry)")).toThrow(RegistryError);
    expect(() => assertSameStack(registry([]), registry([], {}, "staging"), "updateRegistry(registry)")).toThrow(
      /stack "staging", but this pool serves stack "prod".*create a separate pool/,
    );
    expect(() => assertSameStack(registry([]), registry([endpoint("x")]), "f")).not.toThrow();
  });
});
