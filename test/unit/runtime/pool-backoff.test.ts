/**
 * Creates that keep failing back off per endpoint instead of spinning (node-pool#175). The Docker layer is
 * replaced through the pool's injection seams (PoolDependencies) so the failure and the clock are controlled
 * without a daemon and without sleeping through real back-off times.
 */
import { describe, expect, it } from "vitest";
import { AcquireTimeoutError, createPool, EndpointUnavailableError } from "../../../runtime/index";
import type { PoolEndpointClient } from "../../../runtime/pool/session";
import { CreateCircuitBreaker } from "../../../runtime/pool/circuit-breaker";
import { unitEndpoint, unitRegistry } from "./support/registry-fixture";

const registry = unitRegistry([unitEndpoint("flaky-1", { maxContainers: 5 })]);
const answeringClient = (id: string): PoolEndpointClient => ({
  id,
  ping: async () => undefined,
  listContainers: async () => [],
  removeContainer: async () => undefined,
  close: () => undefined,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("create circuit breaker", () => {
  it("opens after the threshold, doubles the back-off up to the cap, and allows one trial when half-open", () => {
    const b = new CreateCircuitBreaker({ failureThreshold: 2, baseBackoffMs: 100, maxBackoffMs: 350 });
    b.onFailure(0);
    expect(b.state(0)).toBe("closed");
    b.onFailure(0);
    expect(b.state(50)).toBe("open");
    expect(b.retryAt()).toBe(100);
    expect(b.state(100)).toBe("half-open");
    b.onStart(100);
    expect(b.allows(100)).toBe(false); // one trial at a time
    b.onFailure(100);
    expect(b.retryAt()).toBe(300); // 200 ms
    b.onFailure(300);
    expect(b.retryAt()).toBe(300 + 350); // 400 capped at 350
    b.onSuccess();
    expect(b.state(300)).toBe("closed");
    expect(b.allows(300)).toBe(true);
  });
});

describe("pool with an endpoint whose creates always fail", () => {
  it("stops after the threshold, tries once more when the back-off passes, and explains the acquire timeout", async () => {
    let clock = 1_000_000;
    let calls = 0;
    const pool = await createPool(
      {
        registry,
        poolId: "unit-backoff",
        minIdle: 2,
        // one create at a time, so the count is exact (with N in flight, up to threshold + N - 1 start)
        maxConcurrentCreatesPerEndpoint: 1,
        profiles: { default: { image: "img" } },
        healthIntervalMs: 200,
        healthTimeoutMs: 100,
        circuitBreaker: { failureThreshold: 3, baseBackoffMs: 60_000, maxBackoffMs: 600_000 },
      },
      {
        remoteClient: (e) => answeringClient(e.id),
        startSession: async () => {
          calls++;
          throw new Error("image img not found on this host");
        },
        now: () => clock,
        env: {},
      },
    );
    try {
      await sleep(600);
      expect(calls).toBe(3);
      expect(pool.status().byEndpoint["flaky-1"]).toMatchObject({ createFailures: 3, state: "ready" });
      expect(pool.status().byEndpoint["flaky-1"]!.backingOffUntil).toBe(new Date(clock + 60_000).toISOString());

      const err = await pool.acquire({ timeoutMs: 100 }).catch((e) => e);
      expect(err).toBeInstanceOf(AcquireTimeoutError);
      expect(err.message).toMatch(/backing off after 3 failed creates \(image img not found on this host\)/);
      expect(err.cause).toBeInstanceOf(EndpointUnavailableError);
      expect(calls).toBe(3);

      clock += 60_001; // the back-off has passed: exactly one trial, then open again (twice as long)
      await sleep(600);
      expect(calls).toBe(4);
      expect(pool.status().byEndpoint["flaky-1"]!.backingOffUntil).toBe(new Date(clock + 120_000).toISOString());
    } finally {
      await pool.close();
    }
  });
});
