/**
 * release() returns once the sandbox is no longer handed out, without waiting for Docker to remove its container
 * (about 150 ms under gVisor); the removal runs in the background, tracked: its slot still counts against the
 * endpoint's maxContainers until it is gone (so a host is never oversubscribed), and close() waits for it.
 * Real dockerd with mTLS on loopback, gVisor sandboxes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool, POOL_LABELS } from "../../runtime/index";
import { dockerdSupport, startTestDaemon, type TestDaemon, testRegistry } from "../support/dockerd";
import { ensureBusyboxImage } from "../support/images";

const support = dockerdSupport();

describe.skipIf(!support.ok)("release() on a real endpoint", () => {
  let daemon: TestDaemon;
  beforeAll(async () => {
    daemon = await startTestDaemon({ name: "svcrel" });
    ensureBusyboxImage(`unix://${daemon.socketPath}`);
  });
  afterAll(async () => {
    await daemon?.stop();
  });
  const containersOf = async (poolId: string) => daemon.docker.listContainers({ all: true, filters: { label: [`${POOL_LABELS.pool}=${poolId}`] } });

  it("returns before the container is removed, counts the removal's slot, and close() waits for it", async () => {
    const poolId = "sf-svc-release";
    // One slot on the endpoint: a second container may only start once the released one is gone.
    const pool = await createPool({
      registry: testRegistry([daemon], [{ maxContainers: 1 }]),
      poolId,
      profiles: { default: { image: "sandfleet-test/busybox:latest", runtime: "runsc" } },
      minIdle: 0,
      acquireTimeoutMs: 60_000,
    });
    try {
      const first = await pool.acquire();
      await first.exec(["true"]);
      const t0 = performance.now();
      await first.release();
      const releaseMs = performance.now() - t0;
      // Still on the host right after release() returned: the removal had not finished (or not even started).
      const justAfter = await containersOf(poolId);
      expect(justAfter.map((c) => c.Id)).toContain(first.id);
      expect(releaseMs).toBeLessThan(20);
      await expect(first.exec(["true"])).rejects.toThrow(/released/);

      // The next acquire must wait for the removal: never two containers of this pool on a one-slot endpoint.
      let most = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          most = Math.max(most, (await containersOf(poolId)).length);
          await new Promise((r) => setTimeout(r, 10));
        }
      })();
      const second = await pool.acquire();
      expect((await second.exec(["echo", "ok"])).stdout).toBe("ok\n");
      sampling = false;
      await sampler;
      expect(most).toBe(1);
      expect((await containersOf(poolId)).map((c) => c.Id)).toEqual([second.id]);
      await second.release();
    } finally {
      await pool.close();
    }
    // close() waited for the background removal.
    expect(await containersOf(poolId)).toEqual([]);
  });
});
