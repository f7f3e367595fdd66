/**
 * The pool on three real dockerd endpoints (mTLS on loopback ports) with different labels: placement and
 * affinity, capacity limits, exactly-once hand-out, security defaults as `docker inspect` shows them, leases,
 * close(), status and metrics, and mTLS misconfiguration.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool, PoolClosedError, PoolExhaustedError, NoMatchingEndpointError, AcquireTimeoutError, LeaseExpiredError, startStatusServer, POOL_LABELS, TlsHandshakeError } from "../../runtime/index";
import { dockerdSupport, issueTestTls, sleep, startTestDaemons, TestDaemon, testRegistry } from "../support/dockerd";
import { ensureBusyboxImage } from "../support/images";
import { waitFor } from "../support/wait-for";
import { issueDockerTls } from "../../components/tls/local-issuer";
import type { EndpointRegistry } from "../../runtime/registry/schema";

const support = dockerdSupport();
const profiles = { default: { image: "sandfleet-test/busybox:latest" } };

describe.skipIf(!support.ok)("pool on three real endpoints", () => {
  let daemons: TestDaemon[] = [];
  let registry: EndpointRegistry;

  beforeAll(async () => {
    daemons = await startTestDaemons(["pa", "pb", "pc"]);
    for (const d of daemons) ensureBusyboxImage(`unix://${d.socketPath}`);
    registry = testRegistry(daemons, [
      { labels: { zone: "east", tier: "standard", cores: "2" }, maxContainers: 20 },
      { labels: { zone: "west", tier: "standard", cores: "8" }, maxContainers: 20 },
      { labels: { zone: "west", tier: "burst", cores: "4" }, maxContainers: 20, weight: 3 },
    ]);
  });

  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.stop()));
  });

  const containersOf = async (d: TestDaemon, poolId: string) =>
    d.docker.listContainers({ all: true, filters: { label: [`${POOL_LABELS.pool}=${poolId}`] } });
  const allContainers = async (poolId: string) => (await Promise.all(daemons.map((d) => containersOf(d, poolId)))).flat();
  const daemonOf = (endpointId: string) => daemons.find((d) => `test-${d.name}` === endpointId)!;

  it("hands out a warm gVisor sandbox whose container has every security default", async () => {
    const pool = await createPool({ registry, poolId: "sec", minIdle: 1, profiles, healthIntervalMs: 1_000, healthTimeoutMs: 500 });
    try {
      const sandbox = await pool.acquire();
      const r = await sandbox.exec(["uname", "-r"]);
      expect(r.stdout.trim()).toBe("4.4.0");
      const info = await daemonOf(sandbox.endpointId).docker.getContainer(sandbox.id).inspect();
      const host = info.HostConfig;
      expect(host.Runtime).toBe("runsc");
      expect(host.CapDrop).toEqual(["ALL"]);
      expect(host.SecurityOpt).toContain("no-new-privileges:true");
      expect(host.Privileged).toBe(false);
      expect(host.PidsLimit).toBeGreaterThan(0);
      expect(host.Memory).toBeGreaterThan(0);
      expect(host.NanoCpus).toBeGreaterThan(0);
      expect(host.NetworkMode).toBe("none");
      expect(host.PidMode ?? "").toBe("");
      expect(host.IpcMode).not.toBe("host");
      expect(host.PortBindings ?? {}).toEqual({});
      expect(info.NetworkSettings.Ports ?? {}).toEqual({});
      const mounts = [...(host.Binds ?? []), ...info.Mounts.map((m) => m.Source ?? "")];
      expect(mounts.some((m) => m.includes("docker.sock"))).toBe(false);
      expect(info.Config.Labels[POOL_LABELS.pool]).toBe("sec");
      expect(info.Config.Labels[POOL_LABELS.endpoint]).toBe(sandbox.endpointId);
      await sandbox.release();
      await expect(sandbox.exec(["true"])).rejects.toThrow(/released/);
    } finally {
      await pool.close();
    }
    expect(await allContainers("sec")).toEqual([]);
  });
  it("hands out warm sandboxes in milliseconds (no Docker call on the hot path)", async () => {
    const pool = await createPool({ registry, poolId: "warm", minIdle: 12, maxConcurrentCreatesPerEndpoint: 4, profiles, healthIntervalMs: 2_000, healthTimeoutMs: 1_000 });
    try {
      await waitFor(() => pool.status().idle === 12, 60_000);
      const timings: number[] = [];
      const held = [];
      for (let i = 0; i < 12; i++) {
        const t0 = process.hrtime.bigint();
        held.push(await pool.acquire());
        timings.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
      timings.sort((a, b) => a - b);
      const first = await held[0]!.exec(["echo", "hi"]);
      console.log(`warm acquire: p50 ${timings[6]!.toFixed(3)} ms, max ${timings[11]!.toFixed(3)} ms; first exec ${first.durationMs} ms`);
      // p50 bounded tightly; the max only loosely, as this 2-core machine is shared and the refill runs meanwhile
      expect(timings[6]).toBeLessThan(2);
      expect(timings[11]).toBeLessThan(50);
      expect(first.stdout).toBe("hi\n");
      await Promise.all(held.map((s) => s.release()));
    } finally {
      await pool.close();
    }
  });

  it("places by required affinity with Kubernetes operators and fails fast when nothing can ever match", async () => {
    const pool = await createPool({ registry, poolId: "aff", minIdle: 0, profiles, healthIntervalMs: 1_000, healthTimeoutMs: 500 });
    try {
      const westStandard = await pool.acquire({
        affinity: { matchExpressions: [{ key: "zone", operator: "In", values: ["west"] }, { key: "tier", operator: "NotIn", values: ["burst"] }] },
      });
      expect(westStandard.endpointId).toBe("test-pb");
      const big = await pool.acquire({ affinity: { matchExpressions: [{ key: "cores", operator: "Gt", values: ["4"] }] } });
      expect(big.endpointId).toBe("test-pb");
      const small = await pool.acquire({ affinity: [
        { matchExpressions: [{ key: "cores", operator: "Lt", values: ["3"] }] },
        { matchExpressions: [{ key: "gpu", operator: "Exists" }] },
      ] });
      expect(small.endpointId).toBe("test-pa");
      const byId = await pool.acquire({ affinity: { matchExpressions: [{ key: "sandfleet.dev/endpoint", operator: "In", values: ["test-pc"] }] } });
      expect(byId.endpointId).toBe("test-pc");
      await expect(pool.acquire({ affinity: { matchExpressions: [{ key: "gpu", operator: "Exists" }] } })).rejects.toBeInstanceOf(NoMatchingEndpointError);
      for (const s of [westStandard, big, small, byId]) {
        const labels = (await daemonOf(s.endpointId).docker.getContainer(s.id).inspect()).Config.Labels;
        expect(labels[POOL_LABELS.endpoint]).toBe(s.endpointId);
        await s.release();
      }
    } finally {
      await pool.close();
    }
  });

  it("prefers endpoints whose preferred terms match, and spreads warm sandboxes across endpoints", async () => {
    const pool = await createPool({ registry, poolId: "pref", minIdle: 3, profiles, healthIntervalMs: 1_000, healthTimeoutMs: 500, maxConcurrentCreatesPerEndpoint: 1 });
    try {
      await waitFor(() => pool.status().idle === 3, 30_000);
      // one create at a time per endpoint + spread: three warm sandboxes, one per endpoint
      expect(Object.values(pool.status().byEndpoint).map((e) => e.idle)).toEqual([1, 1, 1]);
      const preferred = [{ weight: 80, preference: { matchExpressions: [{ key: "tier", operator: "In" as const, values: ["burst"] }] } }];
      const s = await pool.acquire({ preferred });
      expect(s.endpointId).toBe("test-pc");
      await s.release();
    } finally {
      await pool.close();
    }
  });

  it("gives a draining endpoint no new sandboxes", async () => {
    const draining = testRegistry(daemons, [{}, {}, { draining: true }]);
    const pool = await createPool({ registry: draining, poolId: "drain", minIdle: 4, profiles, healthIntervalMs: 1_000, healthTimeoutMs: 500 });
    try {
      await waitFor(() => pool.status().idle === 4, 30_000);
      const extra = await Promise.all([pool.acquire(), pool.acquire(), pool.acquire(), pool.acquire(), pool.acquire()]);
      expect(extra.map((s) => s.endpointId)).not.toContain("test-pc");
      expect(pool.status().byEndpoint["test-pc"]).toMatchObject({ state: "draining", idle: 0, acquired: 0, creating: 0 });
      expect(await containersOf(daemons[2]!, "drain")).toEqual([]);
      await Promise.all(extra.map((s) => s.release()));
    } finally {
      await pool.close();
    }
  });

  it("places on this server's own engine in hybrid mode when the affinity asks for it", async () => {
    const local = daemons[1]!;
    const pool = await createPool({
      registry: testRegistry([daemons[0]!]),
      poolId: "hybrid",
      minIdle: 0,
      profiles,
      placement: { mode: "hybrid", localSocketPath: local.socketPath, localLabels: { site: "platform" } },
      healthIntervalMs: 1_000,
      healthTimeoutMs: 500,
    });
    try {
      expect(Object.keys(pool.status().byEndpoint).sort()).toEqual(["local", "test-pa"]);
      const onLocal = await pool.acquire({ affinity: { matchExpressions: [{ key: "sandfleet.dev/local", operator: "In", values: ["true"] }] } });
      expect(onLocal.endpointId).toBe("local");
      expect((await local.docker.getContainer(onLocal.id).inspect()).HostConfig.Runtime).toBe("runsc");
      const remote = await pool.acquire({ affinity: { matchExpressions: [{ key: "site", operator: "DoesNotExist" }] } });
      expect(remote.endpointId).toBe("test-pa");
      await Promise.all([onLocal.release(), remote.release()]);
    } finally {
      await pool.close();
    }
  });

  it("hands each of 50 concurrent acquires its own sandbox, exactly once", async () => {
    const pool = await createPool({ registry, poolId: "fifty", minIdle: 2, profiles, maxConcurrentCreatesPerEndpoint: 4, healthIntervalMs: 2_000, healthTimeoutMs: 1_000 });
    try {
      const started = Date.now();
      const sandboxes = await Promise.all(Array.from({ length: 50 }, () => pool.acquire({ timeoutMs: 120_000 })));
      const elapsed = Date.now() - started;
      const ids = new Set(sandboxes.map((s) => s.id));
      expect(ids.size).toBe(50);
      const onEngines = new Set((await allContainers("fifty")).map((c) => c.Id));
      for (const id of ids) expect(onEngines.has(id)).toBe(true);
      expect(pool.status().acquired).toBe(50);
      // every endpoint took a share; none above its maxContainers
      for (const e of Object.values(pool.status().byEndpoint)) {
        expect(e.acquired).toBeGreaterThan(0);
        expect(e.idle + e.acquired + e.creating).toBeLessThanOrEqual(e.maxContainers);
      }
      const outputs = await Promise.all(sandboxes.map((s) => s.exec(["cat", "/proc/self/cgroup"]).then(() => s.exec(["echo", s.name]))));
      outputs.forEach((r, i) => expect(r.stdout.trim()).toBe(sandboxes[i]!.name));
      console.log(`50 concurrent acquires from a 2-idle pool: ${elapsed} ms`);
      await Promise.all(sandboxes.map((s) => s.release()));
    } finally {
      await pool.close();
    }
    expect(await allContainers("fifty")).toEqual([]);
  });

  it("respects maxContainers and maxTotal, and says the pool is exhausted", async () => {
    const tight = testRegistry(daemons, [{ maxContainers: 1 }, { maxContainers: 1 }, { maxContainers: 1 }]);
    const pool = await createPool({ registry: tight, poolId: "cap", minIdle: 0, maxTotal: 2, profiles, healthIntervalMs: 1_000, healthTimeoutMs: 500 });
    try {
      const onA = await pool.acquire({ affinity: { matchExpressions: [{ key: "daemon", operator: "In", values: ["pa"] }] } });
      const err = await pool.acquire({ affinity: { matchExpressions: [{ key: "daemon", operator: "In", values: ["pa"] }] }, timeoutMs: 800 }).catch((e) => e);
      expect(err).toBeInstanceOf(PoolExhaustedError);
      expect(err.message).toMatch(/test-pa: full \(1\/1\)/);
      const second = await pool.acquire();
      expect(second.endpointId).not.toBe("test-pa");
      const third = await pool.acquire({ timeoutMs: 800 }).catch((e) => e);
      expect(third).toBeInstanceOf(PoolExhaustedError);
      expect(third.message).toMatch(/maxTotal 2/);
      expect(pool.status()).toMatchObject({ acquired: 2, total: 2, maxTotal: 2 });
      await onA.release();
      const again = await pool.acquire({ affinity: { matchExpressions: [{ key: "daemon", operator: "In", values: ["pa"] }] }, timeoutMs: 30_000 });
      expect(again.endpointId).toBe("test-pa");
      const t0 = Date.now();
      await Promise.all([second.release(), again.release()]);
      console.log(`release of two runsc sandboxes: ${Date.now() - t0} ms`);
    } finally {
      await pool.close();
    }
  });

  it("keeps the sandbox a timed-out acquire was waiting for, and hands it to the next acquire", async () => {
    const pool = await createPool({ registry, poolId: "late", minIdle: 0, profiles, healthIntervalMs: 1_000, healthTimeoutMs: 500 });
    try {
      const err = await pool.acquire({ timeoutMs: 20 }).catch((e) => e);
      expect(err).toBeInstanceOf(AcquireTimeoutError);
      await waitFor(() => pool.status().idle === 1, 30_000);
      const [known] = pool.inventory();
      expect((await allContainers("late")).map((c) => c.Names[0])).toEqual([`/${known!.name}`]);
      const t0 = Date.now();
      const sandbox = await pool.acquire();
      expect(Date.now() - t0).toBeLessThan(50);
      expect(sandbox.name).toBe(known!.name);
      await sandbox.release();
    } finally {
      await pool.close();
    }
    expect(await allContainers("late")).toEqual([]);
  });

  it("reclaims overdue leases, destroys leased sandboxes after the close grace, and rejects acquire after close", async () => {
    const pool = await createPool({ registry, poolId: "lease", minIdle: 1, maxLeaseMs: 1_000, closeGraceMs: 300, profiles, healthIntervalMs: 1_000, healthTimeoutMs: 500 });
    const overdue = await pool.acquire({ timeoutMs: 30_000 });
    await sleep(1_300);
    await expect(overdue.exec(["true"])).rejects.toBeInstanceOf(LeaseExpiredError);
    await waitFor(async () => !(await allContainers("lease")).some((c) => c.Id === overdue.id), 10_000);
    const held = await pool.acquire({ timeoutMs: 30_000 });
    const t0 = Date.now();
    await pool.close();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(held.state).toBe("reclaimed");
    const t1 = Date.now();
    await expect(pool.acquire()).rejects.toBeInstanceOf(PoolClosedError);
    expect(Date.now() - t1).toBeLessThan(20);
    expect(await allContainers("lease")).toEqual([]);
  });

  it("serves /status, /metrics and /healthz on 127.0.0.1", async () => {
    const pool = await createPool({ registry, poolId: "http", minIdle: 1, profiles, healthIntervalMs: 1_000, healthTimeoutMs: 500 });
    const server = await startStatusServer(pool);
    try {
      await waitFor(() => pool.status().idle === 1, 30_000);
      const sandbox = await pool.acquire();
      expect(server.host).toBe("127.0.0.1");
      const status = (await (await fetch(`${server.url}/status`)).json()) as { acquired: number; byEndpoint: Record<string, { acquired: number }> };
      expect(status).toMatchObject({ acquired: 1, health: "ok" });
      expect(status.byEndpoint[sandbox.endpointId].acquired).toBe(1);
      const metrics = await (await fetch(`${server.url}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`sandfleet_pool_leased_sandboxes\\{[^}]*endpoint="${sandbox.endpointId}"[^}]*\\} 1`));
      expect(metrics).toMatch(/sandfleet_pool_acquire_duration_seconds_count\{[^}]*outcome="ok"/);
      expect(metrics).toMatch(/sandfleet_pool_endpoint_state\{[^}]*state="ready"[^}]*\} 1/);
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      await sandbox.release();
    } finally {
      await server.close();
      await pool.close();
    }
  });

  describe("mTLS misconfiguration gives a clear error at once, not a wait for the acquire deadline", () => {
    const attempt = async (bad: EndpointRegistry, poolId: string) => {
      const t0 = Date.now();
      const pool = await createPool({ registry: bad, poolId, minIdle: 0, profiles, healthIntervalMs: 1_000, healthTimeoutMs: 500 });
      try {
        const acquireStarted = Date.now();
        // The default deadline (30 s): the acquire must not wait for it.
        const err = await pool.acquire().catch((e) => e);
        return { err, status: pool.status(), elapsed: Date.now() - t0, acquireMs: Date.now() - acquireStarted };
      } finally {
        await pool.close();
      }
    };

    it("names the CA when the registry's CA did not sign the servers' certificates", async () => {
      const other = await issueTestTls();
      const bad = { ...registry, tls: { ...registry.tls, ca: other.ca.certPem } };
      const { err, status, elapsed, acquireMs } = await attempt(bad, "wrongca");
      expect(err).toBeInstanceOf(TlsHandshakeError);
      expect(err).toMatchObject({ kind: "unknown-ca", endpointId: "test-pa,test-pb,test-pc" });
      expect(acquireMs).toBeLessThan(1_000);
      expect(err.message).toMatch(/unknown-ca/);
      expect(err.message).toMatch(/tls\.ca/);
      expect(status.health).toBe("down");
      expect(status.byEndpoint["test-pa"]!.lastError).toMatch(/TLS handshake failed/);
      expect(elapsed).toBeLessThan(5_000);
    });

    // A client cert with NO extended key usage at all is accepted by dockerd (Go treats a missing EKU as "any
    // usage"), so the refused case is a cert whose EKU is present but lacks clientAuth (here: serverAuth only).
    it("names the client certificate when its extended key usage lacks client_auth", async () => {
      const tls = daemons[0]!.tls;
      const noClientAuth = await issueDockerTls({ stack: "test", servers: [], ca: tls.ca, clientUsages: ["digital_signature", "server_auth"] });
      const bad = { ...registry, tls: { ...registry.tls, clientCert: noClientAuth.client.certPem, clientKey: noClientAuth.client.keyPem } };
      const { err, status, elapsed, acquireMs } = await attempt(bad, "noclientauth");
      expect(err).toBeInstanceOf(TlsHandshakeError);
      expect(err).toMatchObject({ kind: "client-cert-rejected" });
      expect(acquireMs).toBeLessThan(1_000);
      expect(err.message).toMatch(/client_auth/);
      expect(status.byEndpoint["test-pb"]!.state).toBe("unresponsive");
      expect(elapsed).toBeLessThan(5_000);
    });
  });
});
