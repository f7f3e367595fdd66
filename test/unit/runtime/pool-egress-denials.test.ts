/**
 * Denied egress is counted and announced without anyone reading it: the pool reads the denial log of each leased
 * sandbox with egress on every health round, and once more after its release, and shares one count with
 * Sandbox.egressDenials(). The Docker layer is replaced through the pool's seams (support/fake-egress-engine.ts):
 * each fake session has a denial log the test appends to, as the host's proxy would, and counts the reads of it.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { Pool } from "../../../runtime/index";
import { denial, poolWithDenialLogs } from "./support/fake-egress-engine";

async function deniedTotal(pool: Pool, profile = "agent"): Promise<number> {
  const metric = await pool.metrics.registry.getSingleMetric("sandfleet_pool_egress_denied_total")!.get();
  return metric.values.filter((v) => v.labels.profile === profile).reduce((sum, v) => sum + v.value, 0);
}

async function errorCount(pool: Pool, kind: string): Promise<number> {
  const metric = await pool.metrics.registry.getSingleMetric("sandfleet_pool_errors_total")!.get();
  return metric.values.filter((v) => v.labels.kind === kind).reduce((sum, v) => sum + v.value, 0);
}

const waitFor = async (check: () => boolean, what: string, ms = 5_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not seen within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("denied egress, seen without a read", () => {
  let pool: Pool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
  });

  async function start(healthIntervalMs?: number) {
    const started = await poolWithDenialLogs("unit-denials", healthIntervalMs);
    pool = started.pool;
    const events: { sandbox: string; denials: string[] }[] = [];
    pool.onEgressDenied((sandbox, denials) => events.push({ sandbox: sandbox.name, denials: denials.map((d) => `${d.method} ${d.host}:${d.port}`) }));
    return { pool, events, log: started.log };
  }

  it("announces and counts a leased sandbox's refusals on the health interval, with nobody calling egressDenials()", async () => {
    const { pool, events, log } = await start(100);
    const sandbox = await pool.acquire({ timeoutMs: 2_000 });
    log(sandbox).lines.push(denial("evil.example", 443, "CONNECT"), denial("evil.example", 80));
    await waitFor(() => events.length > 0, "an onEgressDenied event from the health round");
    expect(events).toEqual([{ sandbox: sandbox.name, denials: ["CONNECT evil.example:443", "GET evil.example:80"] }]);
    expect(await deniedTotal(pool)).toBe(2);
    // Later rounds read the log again but announce nothing that was announced before.
    const readsBefore = log(sandbox).reads;
    await waitFor(() => log(sandbox).reads >= readsBefore + 2, "two more health rounds");
    expect(events).toHaveLength(1);
    expect(await deniedTotal(pool)).toBe(2);
    await sandbox.release();
  });

  it("shares one count with Sandbox.egressDenials(): a refusal seen by either path is counted and announced once", async () => {
    const { pool, events, log } = await start();
    const sandbox = await pool.acquire({ timeoutMs: 2_000 });
    log(sandbox).lines.push(denial("a.example", 443));
    await pool.checkHealth();
    expect(await deniedTotal(pool)).toBe(1);

    // The holder reads: it gets the whole log, and only the line nobody saw yet is new.
    log(sandbox).lines.push(denial("b.example", 443));
    expect((await sandbox.egressDenials()).map((d) => d.host)).toEqual(["a.example", "b.example"]);
    expect(await deniedTotal(pool)).toBe(2);
    await pool.checkHealth();
    expect(await deniedTotal(pool)).toBe(2);

    // Both paths reading the same new line at the same time still count it once.
    log(sandbox).lines.push(denial("c.example", 80));
    log(sandbox).delayMs = 30;
    await Promise.all([pool.checkHealth(), sandbox.egressDenials(), sandbox.egressDenials()]);
    expect(await deniedTotal(pool)).toBe(3);
    expect(events.map((e) => e.denials)).toEqual([["GET a.example:443"], ["GET b.example:443"], ["GET c.example:80"]]);
    await sandbox.release();
  });

  it("reads each log once per health round, never stacking a second read on a slow one", async () => {
    const { pool, log } = await start();
    const sandbox = await pool.acquire({ timeoutMs: 2_000 });
    const reads = log(sandbox).reads;
    await pool.checkHealth();
    expect(log(sandbox).reads).toBe(reads + 1);
    log(sandbox).delayMs = 100;
    await Promise.all([pool.checkHealth(), pool.checkHealth(), pool.checkHealth()]);
    expect(log(sandbox).reads).toBe(reads + 2);
    await sandbox.release();
  });

  it("never reads the log of a sandbox whose profile has no egress", async () => {
    const { pool, log } = await start();
    const sandbox = await pool.acquire({ profile: "offline", timeoutMs: 2_000 });
    await pool.checkHealth();
    await sandbox.release();
    await pool.close();
    expect(log(sandbox).reads).toBe(0);
  });

  it("reads once more after the release, once the container is gone, and close() waits for that read", async () => {
    const { pool, events, log } = await start();
    const sandbox = await pool.acquire({ timeoutMs: 2_000 });
    await pool.checkHealth();
    // A refusal in the sandbox's last moments, then release: no round ran since.
    log(sandbox).lines.push(denial("last.example", 443));
    log(sandbox).delayMs = 150;
    await sandbox.release();
    expect(events).toEqual([]);
    await pool.close();
    expect(log(sandbox).destroyed).toBe(true);
    expect(events).toEqual([{ sandbox: sandbox.name, denials: ["GET last.example:443"] }]);
    expect(await deniedTotal(pool)).toBe(1);
  });

  it("reads the log of a sandbox the pool reclaims at close() as well", async () => {
    const { pool, events, log } = await start();
    const sandbox = await pool.acquire({ timeoutMs: 2_000 });
    log(sandbox).lines.push(denial("held.example", 80));
    await pool.close();
    expect(sandbox.state).toBe("reclaimed");
    expect(events).toEqual([{ sandbox: sandbox.name, denials: ["GET held.example:80"] }]);
  });

  it("counts a failed read quietly: the lease keeps working and the refusals come with the next read that succeeds", async () => {
    const { pool, events, log } = await start();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    process.on("warning", onWarning);
    try {
      const sandbox = await pool.acquire({ timeoutMs: 2_000 });
      log(sandbox).lines.push(denial("x.example", 443));
      log(sandbox).failing = new Error("archive read timed out");
      await pool.checkHealth();
      await pool.checkHealth();
      expect(await errorCount(pool, "egress-read-failed")).toBe(2);
      expect(events).toEqual([]);
      expect((await sandbox.exec(["echo", "ok"])).stdout).toBe("echo ok");
      await expect(sandbox.egressDenials()).rejects.toThrow(/archive read timed out/); // the holder's own read says so
      log(sandbox).failing = undefined;
      await pool.checkHealth();
      expect(events).toEqual([{ sandbox: sandbox.name, denials: ["GET x.example:443"] }]);
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.includes("egress denial log"))).toHaveLength(1);
      await sandbox.release();
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("stops calling a listener once it unsubscribed, and survives a listener that throws", async () => {
    const { pool, events, log } = await start();
    const seen: string[] = [];
    const unsubscribe = pool.onEgressDenied((_s, d) => seen.push(...d.map((x) => x.host)));
    pool.onEgressDenied(() => {
      throw new Error("listener bug");
    });
    const sandbox = await pool.acquire({ timeoutMs: 2_000 });
    log(sandbox).lines.push(denial("one.example", 80));
    await pool.checkHealth();
    unsubscribe();
    log(sandbox).lines.push(denial("two.example", 80));
    await pool.checkHealth();
    expect(seen).toEqual(["one.example"]);
    expect(events).toHaveLength(2);
    expect(await errorCount(pool, "egress-listener-failed")).toBe(2);
    await sandbox.release();
  });
});
