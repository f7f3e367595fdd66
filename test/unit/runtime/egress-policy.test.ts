/** The egress policy schema of profiles, and the one rule for changes: a request may narrow its profile's policy, never widen it. */
import { describe, expect, it } from "vitest";
import { EgressWidenedError } from "../../../runtime/errors";
import { egressPolicySchema, narrowEgress } from "../../../runtime/sandbox/egress";
import { sandboxContainerOptions } from "../../../runtime/sandbox/container-spec";
import { parseSandboxProfile } from "../../../runtime/sandbox/profile";

const profile = egressPolicySchema.parse({ mode: "allowlist", hosts: ["api.example.com", "*.pkg.example.org"], cidrs: ["203.0.113.0/24"], ports: [80, 443] });

describe("egress policies", () => {
  it("default to no network at all", () => {
    const parsed = parseSandboxProfile({ image: "busybox" });
    expect(parsed.egress).toEqual({ mode: "none", hosts: [], cidrs: [], ports: [80, 443] });
    expect(sandboxContainerOptions(parsed, {}).HostConfig?.NetworkMode).toBe("none");
  });

  it("put an allowlisted sandbox on the egress network with the proxy in its environment", () => {
    const spec = sandboxContainerOptions(parseSandboxProfile({ image: "busybox", egress: { mode: "allowlist", hosts: ["api.example.com"] } }), {});
    expect(spec.HostConfig?.NetworkMode).toBe("sandfleet-egress");
    expect(spec.NetworkDisabled).toBe(false);
    expect(spec.Env).toEqual(expect.arrayContaining(["HTTPS_PROXY=http://172.31.254.1:3128", "http_proxy=http://172.31.254.1:3128"]));
  });

  it("refuse bad entries with the rule and the fix", () => {
    expect(() => egressPolicySchema.parse({ mode: "allowlist" })).toThrow(/at least one entry in hosts or cidrs; for no network at all use mode/);
    expect(() => egressPolicySchema.parse({ mode: "allowlist", hosts: ["API.example.com"] })).toThrow(/lower-case host name/);
    expect(() => egressPolicySchema.parse({ mode: "allowlist", hosts: ["a.*.example.com"] })).toThrow(/wildcard only as the first label/);
    expect(() => egressPolicySchema.parse({ mode: "allowlist", cidrs: ["203.0.113.0/33"] })).toThrow(/must be a CIDR/);
    expect(() => egressPolicySchema.parse({ mode: "internet", ports: [0] })).toThrow();
  });

  it("cannot be combined with a Docker network of the profile's own (the error says to remove one)", () => {
    expect(() => parseSandboxProfile({ image: "busybox", network: "bridge", egress: { mode: "internet" } })).toThrow(/set either network .* or egress .*, not both/);
  });

  it("may be narrowed by a request: fewer names, ports, a sub-range, a lower mode", () => {
    expect(narrowEgress(profile, { mode: "allowlist", hosts: ["files.pkg.example.org"], ports: [443] }).hosts).toEqual(["files.pkg.example.org"]);
    expect(narrowEgress(profile, { mode: "allowlist", hosts: ["*.a.pkg.example.org"], cidrs: ["203.0.113.128/25"] }).cidrs).toEqual(["203.0.113.128/25"]);
    expect(narrowEgress(profile, { mode: "none" }).mode).toBe("none");
    const internet = egressPolicySchema.parse({ mode: "internet" });
    expect(narrowEgress(internet, { mode: "allowlist", hosts: ["anything.example.net"] }).mode).toBe("allowlist");
  });

  it("may never be widened by a request", () => {
    const widen = (request: Parameters<typeof narrowEgress>[1]) => () => narrowEgress(profile, request);
    expect(widen({ mode: "internet" })).toThrow(EgressWidenedError);
    expect(widen({ mode: "allowlist", hosts: ["other.example.com"] })).toThrow(/host "other.example.com" is not allowed by the profile/);
    expect(widen({ mode: "allowlist", hosts: ["pkg.example.org"] })).toThrow(/host "pkg.example.org"/);
    expect(widen({ mode: "allowlist", hosts: ["*.example.org"] })).toThrow(/host "\*.example.org"/);
    expect(widen({ mode: "allowlist", hosts: ["api.example.com"], ports: [22] })).toThrow(/port 22/);
    expect(widen({ mode: "allowlist", cidrs: ["203.0.0.0/16"] })).toThrow(/cidr 203.0.0.0\/16/);
    expect(widen({ mode: "allowlist", cidrs: ["198.51.100.0/24"] })).toThrow(/cidr/);
  });
});
