/**
 * Faults on real engines: a pool process killed with sandboxes outstanding (its restart removes the orphans),
 * one dockerd SIGKILLed and another SIGSTOPped (frozen) while they hold idle and leased sandboxes.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AcquireTimeoutError, createPool, POOL_LABELS, Sandbox } from "../../runtime/index";
import type { EndpointRegistry } from "../../runtime/registry/schema";
import { dockerdSupport, sleep, startTestDaemons, TestDaemon, testRegistry, withTimeout } from "../support/dockerd";
import { ensureBusyboxImage } from "../support/images";
import { waitFor } from "../support/wait-for";

const support = dockerdSupport();
const profiles = { default: { image: "sandfleet-test/busybox:latest" } };
const HEALTH_INTERVAL_MS = 1_000;
/** Short outage grace: these daemons run without live-restore, so nothing comes back; idle ones go after it. */
const OUTAGE_GRACE_MS = 1_500;

describe.skipIf(!support.ok)("pool under faults", () => {
  let daemons: TestDaemon[] = [];
  let registry: EndpointRegistry;
  let scratch: string;

  beforeAll(async () => {
    daemons = await startTestDaemons(["fa", "fb", "fc"]);
    for (const d of daemons) ensureBusyboxImage(`unix://${d.socketPath}`);
    registry = testRegistry(daemons, daemons.map((d) => ({ labels: { daemon: d.name }, maxContainers: 8 })));
    scratch = mkdtempSync(join(tmpdir(), "sf-pool-faults-"));
  });

  afterAll(async () => {
    for (const d of daemons) d.thaw();
    await Promise.all(daemons.map((d) => d.stop()));
    rmSync(scratch, { recursive: true, force: true });
  });

  const containersOf = (d: TestDaemon, poolId: string) =>
    withTimeout(d.docker.listContainers({ all: true, filters: { label: [`${POOL_LABELS.pool}=${poolId}`] } }), 10_000);
  const allContainers = async (poolId: string) => (await Promise.all(daemons.map((d) => containersOf(d, poolId)))).flat();

  it("removes what a SIGKILLed pool process left behind when a pool with the same id starts again, on a frozen endpoint once it thaws", async () => {
    const registryFile = join(scratch, "registry.json");
    writeFileSync(registryFile, JSON.stringify(registry));
    const script = join(scratch, "pool-child.ts");
    writeFileSync(
      script,
      `import { createPool } from ${JSON.stringify(resolve(__dirname, "../../runtime"))};
       (async () => {
         const pool = await createPool({ registryFile: ${JSON.stringify(registryFile)}, poolId: "crashy", minIdle: 2,
           profiles: { default: { image: "sandfleet-test/busybox:latest" } } });
         const leased = [await pool.acquire(), await pool.acquire()];
         while (pool.status().idle < 2) await new Promise((r) => setTimeout(r, 50));
         console.log("READY " + leased.length);
         setInterval(() => {}, 1000);
       })().catch((e) => { console.error(e); process.exit(1); });`,
    );
    // node itself with tsx's loader (not the tsx launcher, which would run the pool in a grandchild that
    // SIGKILL of the launcher leaves alive)
    const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: resolve(__dirname, "../.."), stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (b) => (output += b));
    child.stderr.on("data", (b) => (output += b));
    const deadline = Date.now() + 90_000;
    while (!output.includes("READY") && child.exitCode === null && Date.now() < deadline) await sleep(100);
    expect(output).toContain("READY 2");
    child.kill("SIGKILL");
    await new Promise((r) => child.once("exit", r));
    expect(child.signalCode).toBe("SIGKILL");

    const left = await allContainers("crashy");
    expect(left.length).toBeGreaterThanOrEqual(4); // 2 leased + 2 idle, outliving their pool
    const [fa, fb, fc] = daemons as [TestDaemon, TestDaemon, TestDaemon];
    const leftOnFb = (await containersOf(fb, "crashy")).length;
    // spread placed some on fb: the restart must cope with fb frozen, and clean it up once it answers
    expect(leftOnFb).toBeGreaterThan(0);

    fb.freeze();
    let pool: Awaited<ReturnType<typeof createPool>> | undefined;
    try {
      const t0 = Date.now();
      pool = await createPool({ registry, poolId: "crashy", minIdle: 0, profiles, healthIntervalMs: HEALTH_INTERVAL_MS, healthTimeoutMs: 500 });
      expect(Date.now() - t0).toBeLessThan(5_000); // a frozen endpoint does not hang the start
      expect(await containersOf(fa, "crashy")).toEqual([]);
      expect(await containersOf(fc, "crashy")).toEqual([]);
      expect(pool.status().byEndpoint["test-fb"]!.state).toBe("unresponsive");
      fb.thaw();
      await waitFor(async () => {
        await pool!.checkHealth();
        return (await containersOf(fb, "crashy")).length === 0;
      }, 30_000);
      expect(pool.status().total).toBe(0);
    } finally {
      fb.thaw();
      await pool?.close();
    }
  });

  it("keeps serving from healthy endpoints while one daemon is killed and another frozen, then reconciles", async () => {
    const pool = await createPool({
      registry,
      poolId: "faults",
      // 2 leased + 4 idle spread evenly = one idle sandbox on each of the endpoints that will fail
      minIdle: 4,
      profiles,
      healthIntervalMs: HEALTH_INTERVAL_MS,
      healthTimeoutMs: 500,
      callTimeoutMs: 2_000,
      createTimeoutMs: 10_000,
      maxConcurrentCreatesPerEndpoint: 1,
      endpointOutageGraceMs: OUTAGE_GRACE_MS,
    });
    const [fa, fb] = daemons as [TestDaemon, TestDaemon, TestDaemon];
    const on = (name: string) => ({ affinity: { matchExpressions: [{ key: "daemon", operator: "In" as const, values: [name] }] }, timeoutMs: 30_000 });
    try {
      const leasedA = await pool.acquire(on("fa"));
      const leasedB = await pool.acquire(on("fb"));
      await waitFor(() => Object.values(pool.status().byEndpoint).every((e) => e.idle >= 1), 60_000);

      await fa.kill();
      fb.freeze();
      const frozenAt = Date.now();
      await waitFor(() => pool.status().byEndpoint["test-fb"]!.state === "unresponsive", 3 * HEALTH_INTERVAL_MS);
      const markedAfter = Date.now() - frozenAt;
      console.log(`frozen endpoint marked unresponsive after ${markedAfter} ms (health interval ${HEALTH_INTERVAL_MS} ms)`);
      expect(markedAfter).toBeLessThanOrEqual(2 * HEALTH_INTERVAL_MS);
      await waitFor(() => pool.status().byEndpoint["test-fa"]!.state === "unresponsive", 3 * HEALTH_INTERVAL_MS);
      // Their idle sandboxes are parked for the outage grace (never handed out), then written off.
      await waitFor(() => pool.status().byEndpoint["test-fa"]!.idle + pool.status().byEndpoint["test-fb"]!.idle === 0, OUTAGE_GRACE_MS + 2 * HEALTH_INTERVAL_MS);

      const status = pool.status();
      expect(status.health).toBe("degraded");
      expect(status.byEndpoint["test-fa"]).toMatchObject({ idle: 0, acquired: 1, state: "unresponsive" });
      expect(status.byEndpoint["test-fb"]).toMatchObject({ idle: 0, acquired: 1, state: "unresponsive" });
      expect(status.byEndpoint["test-fc"]!.state).toBe("ready");

      // Every acquire either succeeds on the healthy endpoint or fails within its own deadline.
      const deadlineMs = 4_000;
      const outcomes = await Promise.all(
        Array.from({ length: 10 }, async () => {
          const t0 = Date.now();
          try {
            const s = await pool.acquire({ timeoutMs: deadlineMs });
            const r = await s.exec(["echo", "ok"], { timeoutMs: 5_000 });
            return { ok: true as const, endpointId: s.endpointId, out: r.stdout.trim(), elapsed: Date.now() - t0, s };
          } catch (err) {
            return { ok: false as const, err, elapsed: Date.now() - t0 };
          }
        }),
      );
      for (const o of outcomes) {
        if (o.ok) {
          expect(o.endpointId).toBe("test-fc");
          expect(o.out).toBe("ok");
        } else {
          expect(o.err).toBeInstanceOf(AcquireTimeoutError);
          expect(o.elapsed).toBeLessThan(deadlineMs + 500);
        }
      }
      expect(outcomes.filter((o) => o.ok).length).toBeGreaterThan(0);
      const served = outcomes.flatMap((o) => (o.ok ? [o.s] : [])) as Sandbox[];
      await Promise.all(served.map((s) => s.release()));

      // Releasing sandboxes of dead hosts never blocks the caller.
      const t0 = Date.now();
      await Promise.all([leasedA.release(), leasedB.release()]);
      expect(Date.now() - t0).toBeLessThan(500);

      fb.thaw();
      await fa.restart();
      await waitFor(async () => {
        await pool.checkHealth();
        return Object.values(pool.status().byEndpoint).every((e) => e.state === "ready");
      }, 30_000);
      // After reconciliation, nothing of this pool exists that the pool does not know.
      await waitFor(async () => {
        await pool.checkHealth();
        const known = new Set(pool.inventory().map((k) => `/${k.name}`));
        const onEngines = await allContainers("faults");
        return onEngines.every((c) => known.has(c.Names[0]!));
      }, 60_000);
      await waitFor(() => pool.status().idle >= 4, 60_000);
    } finally {
      for (const d of daemons) d.thaw();
      await pool.close();
    }
    expect(await allContainers("faults")).toEqual([]);
  });
});
