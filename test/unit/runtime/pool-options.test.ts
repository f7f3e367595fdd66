import { describe, expect, it } from "vitest";
import { InvalidOptionsError } from "../../../runtime/errors";
import { defaultPoolId, resolvePoolOptions } from "../../../runtime/pool/options";
import { unitRegistry } from "./support/registry-fixture";

const registry = unitRegistry([], { stack: "prod" });
const base = { registry, profiles: { default: { image: "busybox" } } };
const resolve = (options: object, env: Record<string, string> = {}) => resolvePoolOptions(options as never, env);
const message = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionsError);
    return (err as Error).message;
  }
  throw new Error("expected an InvalidOptionsError");
};

describe("pool options", () => {
  it("fills documented defaults, in milliseconds", () => {
    const o = resolve(base);
    expect(o).toMatchObject({
      minIdle: { default: 2 },
      idleTimeoutMs: 300_000,
      acquireTimeoutMs: 30_000,
      healthIntervalMs: 5_000,
      healthTimeoutMs: 2_000,
      maxLeaseMs: 900_000,
      closeGraceMs: 10_000,
      maxConcurrentCreatesPerEndpoint: 2,
      defaultProfile: "default",
      placement: { mode: "remote", strategy: "spread", localWeight: 1, powerOfK: 2 },
      circuitBreaker: { failureThreshold: 3, baseBackoffMs: 1_000, maxBackoffMs: 60_000 },
    });
    expect(o.profiles.default).toMatchObject({ image: "busybox", runtime: "runsc", network: "none", readOnlyRootfs: true });
  });

  it("rejects an unknown key by name, also inside placement", () => {
    expect(message(() => resolve({ ...base, minIdel: 3 }))).toMatch(/unknown option 'minIdel'/);
    expect(message(() => resolve({ ...base, placement: { strategy: "spread", localWieght: 2 } }))).toMatch(/placement: unknown option 'localWieght'/);
    expect(message(() => resolve({ ...base, profiles: { default: { image: "x", memory: 5 } } }))).toMatch(/profiles\.default: unknown option 'memory'/);
  });

  it("rejects bad values and names the option", () => {
    expect(message(() => resolve({ ...base, acquireTimeoutMs: -1 }))).toMatch(/acquireTimeoutMs/);
    expect(message(() => resolve({ ...base, acquireTimeoutMs: "30s" }))).toMatch(/acquireTimeoutMs must be a number of milliseconds/);
    expect(message(() => resolve({ ...base, placement: { strategy: "roundrobin" } }))).toMatch(/placement\.strategy/);
    expect(message(() => resolve({ ...base, healthIntervalMs: 1_000, healthTimeoutMs: 1_000 }))).toMatch(/healthTimeoutMs: must be below healthIntervalMs/);
    expect(message(() => resolve({ ...base, poolId: "Has Spaces" }))).toMatch(/poolId/);
    expect(message(() => resolve({ ...base, minIdle: { gpu: 1 } }))).toMatch(/no profile "gpu"/);
    expect(message(() => resolve({ ...base, defaultProfile: "big" }))).toMatch(/defaultProfile "big" is not one of the profiles/);
  });

  it("needs exactly one of registry and registryFile", () => {
    expect(message(() => resolve({ profiles: base.profiles }))).toMatch(/give 'registry'.*or 'registryFile'/);
    expect(message(() => resolve({ ...base, registryFile: "r.json" }))).toMatch(/either 'registry' or 'registryFile', not both/);
  });

  it("validates an inline registry with the registry schema", () => {
    expect(() => resolve({ ...base, registry: { ...registry, version: 2 } })).toThrow(/registry version 2 is not supported/);
  });

  it("reads SANDFLEET_* variables, and explicit options win over them", () => {
    const env = {
      SANDFLEET_MIN_IDLE: "5",
      SANDFLEET_ACQUIRE_TIMEOUT_MS: "1500",
      SANDFLEET_PLACEMENT_STRATEGY: "binpack",
      SANDFLEET_POOL_ID: "from-env",
    };
    const o = resolve({ ...base, acquireTimeoutMs: 9_000, placement: { mode: "hybrid" } }, env);
    expect(o.minIdle.default).toBe(5);
    expect(o.acquireTimeoutMs).toBe(9_000);
    expect(o.placement).toMatchObject({ strategy: "binpack", mode: "hybrid" });
    expect(o.poolId).toBe("from-env");
  });

  it("takes the registry file and image from the environment alone", () => {
    const o = resolve({}, { SANDFLEET_REGISTRY_FILE: "/etc/sandfleet/registry.json", SANDFLEET_IMAGE: "python:3.12-slim" });
    expect(o.registryFile).toBe("/etc/sandfleet/registry.json");
    expect(o.profiles.default!.image).toBe("python:3.12-slim");
  });

  it("names the environment variable that holds a bad value", () => {
    expect(message(() => resolve(base, { SANDFLEET_MAX_TOTAL: "lots" }))).toMatch(/SANDFLEET_MAX_TOTAL="lots" is not an integer/);
    expect(message(() => resolve(base, { SANDFLEET_PLACEMENT_MODE: "cloud" }))).toMatch(/placement\.mode/);
  });

  it("derives a valid default pool id from the stack and host name", () => {
    expect(defaultPoolId("prod", "Platform_1.example.COM")).toBe("prod-platform_1.example.com");
    expect(defaultPoolId("prod", "weird host!")).toBe("prod-weird-host-");
  });
  it("rides out endpoint outages for 30 s and does not watch the registry file unless asked", () => {
    expect(resolve(base)).toMatchObject({ endpointOutageGraceMs: 30_000, watchRegistryFile: false });
    expect(resolve(base, { SANDFLEET_ENDPOINT_OUTAGE_GRACE_MS: "0" }).endpointOutageGraceMs).toBe(0);
  });

  it("refuses watchRegistryFile without a registry file to watch", () => {
    expect(message(() => resolve({ ...base, watchRegistryFile: true }))).toContain("watchRegistryFile needs registryFile");
    expect(resolve({ registryFile: "/etc/sandfleet/registry.json", profiles: base.profiles, watchRegistryFile: true }).watchRegistryFile).toBe(true);
  });
});
