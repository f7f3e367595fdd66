/**
 * acquire({ egress }): a request narrows its profile's egress policy with the one rule of setEgress (egress.ts),
 * checked before anything waits; widening fails at once with EgressWidenedError naming the entry and the fix.
 */
import { describe, expect, it } from "vitest";
import { EgressWidenedError, InvalidAcquireRequestError } from "../../../runtime/errors";
import { validateAcquireRequest } from "../../../runtime/pool/acquire-request";
import type { EndpointSet } from "../../../runtime/pool/endpoint-set";
import type { ResolvedPoolOptions } from "../../../runtime/pool/options";
import { egressPolicySchema } from "../../../runtime/sandbox/egress";

const options = {
  defaultProfile: "agent",
  acquireTimeoutMs: 10_000,
  profiles: {
    agent: { egress: egressPolicySchema.parse({ mode: "allowlist", hosts: ["api.example.com", "*.pkg.example.com"], ports: [443] }) },
    offline: { egress: egressPolicySchema.parse({ mode: "none" }) },
  },
} as unknown as ResolvedPoolOptions;
const endpoints = { all: [{ id: "a" }], canEverServe: () => true } as unknown as EndpointSet;
const validate = (o: object) => validateAcquireRequest(o, options, endpoints);

describe("a request's own egress policy at acquire()", () => {
  it("takes a narrower policy, with the schema's defaults filled in", () => {
    expect(validate({ egress: { mode: "allowlist", hosts: ["files.pkg.example.com"], ports: [443] } }).egress).toEqual({
      mode: "allowlist",
      hosts: ["files.pkg.example.com"],
      cidrs: [],
      ports: [443],
    });
    expect(validate({ egress: { mode: "none" } }).egress?.mode).toBe("none");
    expect(validate({}).egress).toBeUndefined();
    // A profile without egress asked for none: already so, nothing to apply.
    expect(validate({ profile: "offline", egress: { mode: "none" } }).egress).toBeUndefined();
  });

  it("refuses a wider one at once, naming the entry, the rule and the fix", () => {
    expect(() => validate({ egress: { mode: "allowlist", hosts: ["evil.example"], ports: [443] } })).toThrow(EgressWidenedError);
    expect(() => validate({ egress: { mode: "allowlist", hosts: ["api.example.com"], ports: [80] } })).toThrow(/port 80 is not allowed by the profile's egress policy.*may only narrow it: ask for a policy within/);
    expect(() => validate({ egress: { mode: "internet" } })).toThrow(/mode "internet"/);
    expect(() => validate({ profile: "offline", egress: { mode: "allowlist", hosts: ["api.example.com"] } })).toThrow(/mode "none"/);
  });

  it("refuses a malformed one as an invalid request, naming the field", () => {
    expect(() => validate({ egress: { mode: "allowlist", hosts: ["Not A Host"] } })).toThrow(InvalidAcquireRequestError);
    expect(() => validate({ egress: { mode: "allowlist", hosts: ["Not A Host"] } })).toThrow(/invalid egress\.hosts\.0/);
    expect(() => validate({ egress: { mode: "sometimes" } })).toThrow(/invalid egress\.mode/);
  });
});
