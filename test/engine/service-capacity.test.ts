/**
 * Two pools on one fleet never oversubscribe an endpoint: the sandbox service (its own process and pool id) and a
 * library pool in this process share one real dockerd whose registry entry allows 3 containers. Each wants 2 warm
 * sandboxes; counting only its own containers, each would keep 2 (4 on a host sized for 3). Counting every
 * sandfleet container on the endpoint (runtime/pool/other-pools.ts), they never exceed 3 together, and the
 * library pool's acquire says why it waits.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool, POOL_LABELS, PoolExhaustedError, SandboxApiClient } from "../../runtime/index";
import { dockerdSupport, sleep, startTestDaemons, TestDaemon, testRegistry } from "../support/dockerd";
import { BUSYBOX_IMAGE, ensureBusyboxImage } from "../support/images";
import { ServiceProcess, startServiceProcess } from "../support/service";

const support = dockerdSupport();

describe.skipIf(!support.ok)("capacity shared between a service and a library pool", () => {
  let daemons: TestDaemon[] = [];
  let service: ServiceProcess;

  beforeAll(async () => {
    daemons = await startTestDaemons(["ca1"]);
    ensureBusyboxImage(`unix://${daemons[0]!.socketPath}`);
  });

  afterAll(async () => {
    if (service) {
      await service.stop();
      service.cleanup();
    }
    await Promise.all(daemons.map((d) => d.stop()));
  });

  it("counts every sandfleet container on the endpoint, not only its own", async () => {
    const profiles = { default: { image: BUSYBOX_IMAGE, runtime: "runc" as const } };
    const managed = async () => (await daemons[0]!.docker.listContainers({ all: true, filters: { label: [`${POOL_LABELS.managed}=true`] } })).length;
    service = await startServiceProcess(daemons, {
      endpoints: [{ maxContainers: 3 }],
      config: { pool: { poolId: "cap-service", minIdle: 2, healthIntervalMs: 1_000, healthTimeoutMs: 800, profiles } },
    });
    const api = new SandboxApiClient({ url: service.url, key: service.key, ca: service.ca });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline && (await managed()) < 2) await sleep(100);
    expect(await managed()).toBe(2);

    const pool = await createPool({ registry: testRegistry(daemons, [{ maxContainers: 3 }]), poolId: "cap-library", minIdle: 2, healthIntervalMs: 1_000, healthTimeoutMs: 800, profiles });
    try {
      let most = 0;
      for (let i = 0; i < 40; i++) {
        most = Math.max(most, await managed());
        await sleep(100);
      }
      expect(most).toBe(3);
      expect(pool.status().idle).toBe(1);

      // The service leases both of its sandboxes; the library pool's second acquire finds the host full.
      const leased = [await api.createSandbox(), await api.createSandbox()];
      const first = await pool.acquire({ timeoutMs: 10_000 });
      const second = await pool.acquire({ timeoutMs: 2_000 }).catch((e: Error) => e);
      expect(second).toBeInstanceOf(PoolExhaustedError);
      expect((second as Error).message).toContain("of other pools/3");
      expect(await managed()).toBeLessThanOrEqual(3);
      await first.release();
      for (const s of leased) await api.releaseSandbox(s.id);
    } finally {
      api.close();
      await pool.close();
    }
  });
});
