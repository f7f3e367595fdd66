/**
 * Capacity shared between profiles, with the Docker layer replaced through the pool's injection seams
 * (PoolDependencies): sessions are in-memory objects, so the test needs no daemon and is exact.
 */
import { describe, expect, it } from "vitest";
import { createPool } from "../../../runtime/index";
import type { PoolEndpointClient, PoolSession } from "../../../runtime/pool/session";
import { unitEndpoint, unitRegistry } from "./support/registry-fixture";

const registry = unitRegistry([unitEndpoint("small-1", { maxContainers: 2 })]);
const client: PoolEndpointClient = { id: "small-1", ping: async () => undefined, listContainers: async () => [], removeContainer: async () => undefined, close: () => undefined };

function inMemoryEngine() {
  const live = new Map<string, string>(); // name -> image
  let n = 0;
  const startSession = async (_c: PoolEndpointClient, profile: { image: string }, _l: Record<string, string>, o: { name: string }): Promise<PoolSession> => {
    await new Promise((r) => setTimeout(r, 5));
    live.set(o.name, profile.image);
    return {
      containerId: `c${++n}`,
      endpointId: "small-1",
      usesShellChannel: true,
      exec: async (argv) => ({ exitCode: 0, stdout: argv.join(" "), stderr: "", durationMs: 0, timedOut: false }),
      putFile: async () => undefined,
      healthy: () => live.has(o.name),
      destroy: async () => void live.delete(o.name),
    };
  };
  return { live, startSession };
}

const waitFor = async (check: () => boolean) => {
  const deadline = Date.now() + 5_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met");
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("capacity shared between profiles", () => {
  it("evicts an idle sandbox of another profile rather than letting an acquire starve", async () => {
    const engine = inMemoryEngine();
    const pool = await createPool(
      { registry, poolId: "unit-share", minIdle: { python: 2, node: 0 }, profiles: { python: { image: "py" }, node: { image: "js" } }, defaultProfile: "python", healthIntervalMs: 500, healthTimeoutMs: 100 },
      { remoteClient: () => client, startSession: engine.startSession, env: {} },
    );
    try {
      await waitFor(() => pool.status().idle === 2);
      expect([...engine.live.values()]).toEqual(["py", "py"]);
      const node = await pool.acquire({ profile: "node", timeoutMs: 2_000 });
      expect(node.profile).toBe("node");
      expect((await node.exec(["node", "-v"])).stdout).toBe("node -v");
      expect(engine.live.size).toBeLessThanOrEqual(2);
      expect(pool.status()).toMatchObject({ acquired: 1, idle: 1 });
      await node.release();
      await waitFor(() => pool.status().idle === 2); // python's warm pool refills once the slot is free
    } finally {
      await pool.close();
    }
    expect(engine.live.size).toBe(0);
  });

  it("destroys idle sandboxes beyond minIdle after idleTimeoutMs, keeping minIdle warm", async () => {
    const engine = inMemoryEngine();
    let clock = 0;
    const pool = await createPool(
      { registry: { ...registry, endpoints: [{ ...registry.endpoints[0]!, maxContainers: 5 }] }, poolId: "unit-idle", minIdle: 1, profiles: { default: { image: "py" } }, idleTimeoutMs: 60_000, healthIntervalMs: 200, healthTimeoutMs: 100 },
      { remoteClient: () => client, startSession: engine.startSession, now: () => clock, env: {} },
    );
    try {
      await waitFor(() => pool.status().idle === 1);
      // take the warm one (the refill starts), then an acquire that times out: its late sandbox lands idle too
      const held = await pool.acquire();
      await expect(pool.acquire({ timeoutMs: 1 })).rejects.toThrow(/within 1 ms/);
      await waitFor(() => pool.status().idle === 2);
      expect(engine.live.size).toBe(3);
      clock += 60_001;
      await waitFor(() => pool.status().idle === 1 && engine.live.size === 2);
      await held.release();
    } finally {
      await pool.close();
    }
  });
});
