/**
 * 1,000 acquire / exec / release cycles against three real endpoints: the pool must not grow in containers,
 * sockets or memory. The profile uses runc here: the test is about the pool's bookkeeping, and every cycle costs
 * one container create + remove, which under gVisor on these 2-core machines takes the run past 3 minutes
 * (gVisor on the hot path is covered by the other engine tests). Bounds (stated, measured in the log line):
 * - containers of the pool on the engines after the run: at most minIdle + maxConcurrentCreates in flight;
 * - open sockets of this process: at most 10 more than after warm-up (agents are bounded per endpoint);
 * - heap: at most 40 MB more than after warm-up.
 */
import { readdirSync, readlinkSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool, POOL_LABELS } from "../../runtime/index";
import { dockerdSupport, sleep, startTestDaemons, TestDaemon, testRegistry } from "../support/dockerd";
import { ensureBusyboxImage } from "../support/images";

const support = dockerdSupport();
const CYCLES = 1_000;
const WORKERS = 6;
const MIN_IDLE = 6;

function openSockets(): number {
  let n = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith("socket:")) n++;
    } catch {
      /* closed meanwhile */
    }
  }
  return n;
}

describe.skipIf(!support.ok)("pool over 1,000 cycles", () => {
  let daemons: TestDaemon[] = [];

  beforeAll(async () => {
    daemons = await startTestDaemons(["ca", "cb", "cc"]);
    for (const d of daemons) ensureBusyboxImage(`unix://${d.socketPath}`);
  });

  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.stop()));
  });

  it("does not grow in containers, sockets or memory", { timeout: 420_000 }, async () => {
    const pool = await createPool({
      registry: testRegistry(daemons, daemons.map(() => ({ maxContainers: 12 }))),
      poolId: "cycles",
      minIdle: MIN_IDLE,
      maxConcurrentCreatesPerEndpoint: 3,
      profiles: { default: { image: "sandfleet-test/busybox:latest", runtime: "runc" } },
      // generous: on a loaded 2-core machine a busy dockerd may take a second to answer /_ping
      healthIntervalMs: 5_000,
      healthTimeoutMs: 3_000,
    });
    const containers = async () =>
      (await Promise.all(daemons.map((d) => d.docker.listContainers({ all: true, filters: { label: [`${POOL_LABELS.pool}=cycles`] } })))).flat().length;
    try {
      let done = 0;
      let baseline: { sockets: number; heap: number } | undefined;
      const t0 = Date.now();
      const seen = new Set<string>();
      const worker = async () => {
        while (done < CYCLES) {
          done++;
          const cycle = done;
          const sandbox = await pool.acquire({ timeoutMs: 60_000 });
          expect(seen.has(sandbox.id)).toBe(false);
          seen.add(sandbox.id);
          const r = await sandbox.exec(["echo", String(cycle)]);
          expect(r.stdout).toBe(`${cycle}\n`);
          await sandbox.release();
          if (done === 100 && !baseline) baseline = { sockets: openSockets(), heap: process.memoryUsage().heapUsed };
        }
      };
      await Promise.all(Array.from({ length: WORKERS }, worker));
      const elapsed = Date.now() - t0;
      // settle: refills finish, released containers are gone
      const settleDeadline = Date.now() + 60_000;
      while (Date.now() < settleDeadline && (pool.status().creating > 0 || (await containers()) > MIN_IDLE)) await sleep(200);
      const after = { containers: await containers(), sockets: openSockets(), heap: process.memoryUsage().heapUsed };
      const growth = { sockets: after.sockets - baseline!.sockets, heapMb: (after.heap - baseline!.heap) / 2 ** 20 };
      console.log(
        `1,000 cycles (${WORKERS} workers, runc, 3 endpoints): ${elapsed} ms, ${(CYCLES / (elapsed / 1000)).toFixed(1)} cycles/s; ` +
          `containers after: ${after.containers} (minIdle ${MIN_IDLE}); sockets ${baseline!.sockets} -> ${after.sockets}; ` +
          `heap growth ${growth.heapMb.toFixed(1)} MB`,
      );
      expect(seen.size).toBeGreaterThanOrEqual(CYCLES);
      expect(after.containers).toBeLessThanOrEqual(MIN_IDLE + 9);
      expect(pool.status()).toMatchObject({ acquired: 0 });
      expect(growth.sockets).toBeLessThanOrEqual(10);
      expect(growth.heapMb).toBeLessThan(40);
    } finally {
      await pool.close();
    }
    expect(await containers()).toBe(0);
  });
});
