/**
 * Registry updates on a running pool, on real engines: draining an endpoint, adding one, removing one, rejecting
 * another stack's registry (pool.updateRegistry), and the same through a watched registry file, where a bad
 * file is reported and ignored.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool, Pool, POOL_LABELS, RegistryError, Sandbox } from "../../runtime/index";
import type { Endpoint, EndpointRegistry } from "../../runtime/registry/schema";
import { issueDockerTls } from "../../components/tls/local-issuer";
import { dockerdSupport, issueTestTls, startTestDaemons, TestDaemon, testRegistry, withTimeout } from "../support/dockerd";
import { ensureBusyboxImage } from "../support/images";
import { waitFor } from "../support/wait-for";

const support = dockerdSupport();
const profiles = { default: { image: "sandfleet-test/busybox:latest" } };
const on = (name: string) => ({ affinity: { matchExpressions: [{ key: "daemon", operator: "In" as const, values: [name] }] }, timeoutMs: 30_000 });

describe.skipIf(!support.ok)("registry updates on a running pool", () => {
  let daemons: TestDaemon[] = [];
  let ra: TestDaemon, rb: TestDaemon, rc: TestDaemon;
  let pool: Pool;
  let scratch: string;

  /** The registry over some of the daemons, with per-daemon overrides (maxContainers 16 each). */
  const registryOf = (members: TestDaemon[], overrides: Record<string, Partial<Endpoint>> = {}): EndpointRegistry =>
    testRegistry(members, members.map((d) => ({ maxContainers: 16, ...overrides[d.name] })));
  const containersOf = (d: TestDaemon, poolId: string) =>
    withTimeout(d.docker.listContainers({ all: true, filters: { label: [`${POOL_LABELS.pool}=${poolId}`] } }), 10_000);
  const byEndpoint = (id: string) => pool.status().byEndpoint[id];

  beforeAll(async () => {
    daemons = await startTestDaemons(["ra", "rb", "rc"]);
    [ra, rb, rc] = daemons as [TestDaemon, TestDaemon, TestDaemon];
    for (const d of daemons) ensureBusyboxImage(`unix://${d.socketPath}`);
    scratch = mkdtempSync(join(tmpdir(), "sf-registry-reload-"));
    pool = await createPool({
      registry: registryOf([ra, rb]),
      poolId: "reload",
      minIdle: 4,
      profiles,
      healthIntervalMs: 500,
      healthTimeoutMs: 300,
      callTimeoutMs: 5_000,
    });
  });

  afterAll(async () => {
    await pool?.close();
    await Promise.all(daemons.map((d) => d.stop()));
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  it("sends every new sandbox elsewhere once an endpoint is marked draining, destroys its idle ones and keeps its leased one working until released", async () => {
    const leasedOnA = await pool.acquire(on("ra"));
    // spread keeps the two endpoints within one container of each other: ra ends with at least one idle sandbox
    await waitFor(() => pool.status().idle === 4, 60_000);
    expect(byEndpoint("test-ra")!.idle).toBeGreaterThanOrEqual(1);

    const result = await pool.updateRegistry(registryOf([ra, rb], { ra: { draining: true } }));
    expect(result).toMatchObject({ drainingStarted: ["test-ra"], added: [], removed: [], tlsChanged: false });
    expect(byEndpoint("test-ra")).toMatchObject({ state: "draining", idle: 0, acquired: 1 });
    await waitFor(async () => (await containersOf(ra, "reload")).length === 1, 10_000);
    expect((await containersOf(ra, "reload")).map((c) => c.Id)).toEqual([leasedOnA.id]);

    const next = await Promise.all(Array.from({ length: 10 }, () => pool.acquire({ timeoutMs: 30_000 })));
    expect(next.map((s) => s.endpointId)).toEqual(Array(10).fill("test-rb"));
    expect((await next[9]!.exec(["echo", "ok"])).stdout).toBe("ok\n");
    await Promise.all(next.map((s) => s.release()));

    expect((await leasedOnA.exec(["uname", "-r"])).stdout).toBe("4.4.0\n");
    await leasedOnA.release();
    // release() returns once the sandbox is no longer handed out; Docker removes the container in the background.
    await waitFor(async () => (await containersOf(ra, "reload")).length === 0, 10_000);
    expect(byEndpoint("test-ra")).toMatchObject({ state: "draining", idle: 0, acquired: 0, creating: 0 });
  });

  it("health-checks an added endpoint before it joins, then places work on it", async () => {
    const result = await pool.updateRegistry(registryOf([ra, rb, rc], { ra: { draining: true } }));
    expect(result.added).toEqual(["test-rc"]);
    expect(byEndpoint("test-rc")!.state).toBe("ready"); // pinged before updateRegistry returned

    const pinned = await pool.acquire(on("rc"));
    expect(pinned.endpointId).toBe("test-rc");
    expect((await pinned.exec(["uname", "-r"])).stdout).toBe("4.4.0\n");
    await pinned.release();
    // Without affinity, spread fills the empty newcomer: take the warm sandboxes, and the refill lands there.
    const taken = await Promise.all(Array.from({ length: 4 }, () => pool.acquire({ timeoutMs: 30_000 })));
    await waitFor(() => byEndpoint("test-rc")!.idle >= 2, 60_000);
    await Promise.all(taken.map((s) => s.release()));
  });

  it("drops a removed endpoint once its leased sandbox is released, leaving none of its containers behind", async () => {
    const leasedOnB = await pool.acquire(on("rb"));
    const result = await pool.updateRegistry(registryOf([ra, rc], { ra: { draining: true } }));
    expect(result.removed).toEqual(["test-rb"]);
    expect(byEndpoint("test-rb")).toMatchObject({ removed: true, state: "draining", idle: 0, acquired: 1 });
    await waitFor(async () => (await containersOf(rb, "reload")).length === 1, 10_000);

    const elsewhere = await pool.acquire({ timeoutMs: 30_000 });
    expect(elsewhere.endpointId).toBe("test-rc");
    await elsewhere.release();
    expect((await leasedOnB.exec(["echo", "still here"])).stdout).toBe("still here\n");

    await leasedOnB.release();
    await waitFor(() => byEndpoint("test-rb") === undefined, 10_000);
    expect(await containersOf(rb, "reload")).toEqual([]);
    expect(pool.inventory().some((k) => k.endpointId === "test-rb")).toBe(false);
  });

  it("uses rotated TLS material for new calls while a sandbox leased before keeps working and is released with its own client", async () => {
    const leased = await pool.acquire(on("rc"));
    const withClient = (client: { certPem: string; keyPem: string }) => {
      const r = registryOf([ra, rc], { ra: { draining: true } });
      return { ...r, tls: { ...r.tls, clientCert: client.certPem, clientKey: client.keyPem } };
    };
    // A client cert from another CA: only new calls use it, so only they fail (the daemons refuse it).
    const foreign = await issueTestTls();
    const result = await pool.updateRegistry(withClient(foreign.client));
    expect(result).toMatchObject({ tlsChanged: true, reconnected: ["test-ra", "test-rc"] });
    await waitFor(() => byEndpoint("test-rc")!.state === "unresponsive", 5_000);
    expect(byEndpoint("test-rc")!.lastError).toMatch(/TLS handshake failed/);
    expect((await leased.exec(["echo", "unaffected"])).stdout).toBe("unaffected\n");

    // A proper rotation (same CA, new client cert and key): new calls work again.
    const rotated = await issueDockerTls({ stack: "test", servers: [{ serverName: "test-dockerd", privateIp: "127.0.0.1" }], ca: rc.tls.ca });
    await pool.updateRegistry(withClient(rotated.client));
    await waitFor(() => byEndpoint("test-rc")!.state === "ready", 5_000);
    const fresh = await pool.acquire(on("rc"));
    expect((await fresh.exec(["echo", "new client"])).stdout).toBe("new client\n");
    await fresh.release();
    // The sandbox leased before both rotations is removed with the client it was created with.
    await leased.release();
    await waitFor(async () => !(await containersOf(rc, "reload")).some((c) => c.Id === leased.id), 10_000);
  });

  it("rejects a registry of another stack, or an invalid one, with a RegistryError and keeps the registry it has", async () => {
    const before = pool.status().registry;
    const other = { ...registryOf([ra, rc]), stack: "staging" };
    const err = await pool.updateRegistry(other).catch((e: Error) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as Error).message).toContain('the new registry is for stack "staging", but this pool serves stack "test"');
    await expect(pool.updateRegistry({ ...registryOf([rc]), endpoints: [{ id: "x" }] })).rejects.toThrow(/updateRegistry\(registry\): invalid endpoint registry: endpoints\.0/);
    expect(pool.status().registry).toEqual(before);
    expect(Object.keys(pool.status().byEndpoint).sort()).toEqual(["test-ra", "test-rc"]);
  });

  it("applies a watched registry file when it changes, and reports and ignores a bad one", async () => {
    const file = join(scratch, "registry.json");
    const write = (content: string) => {
      // Like most deploy tools: write aside, rename over (a new inode, which a watch on the file itself would miss).
      writeFileSync(`${file}.tmp`, content);
      renameSync(`${file}.tmp`, file);
    };
    write(JSON.stringify(registryOf([rc])));
    const watched = await createPool({ registryFile: file, watchRegistryFile: true, poolId: "reload-watch", minIdle: 0, profiles, healthIntervalMs: 500, healthTimeoutMs: 300 });
    try {
      expect(watched.status().registry).toMatchObject({ watching: true, endpoints: 1 });
      write(JSON.stringify(registryOf([rc, ra])));
      await waitFor(() => watched.status().byEndpoint["test-ra"]?.state === "ready", 10_000);

      write("{ not json");
      await waitFor(() => watched.status().registry.reloadError !== undefined, 10_000);
      expect(watched.status().registry.reloadError).toContain("is not valid JSON");
      expect(watched.status().registry.endpoints).toBe(2); // kept the last good one
      const s: Sandbox = await watched.acquire(on("ra"));
      expect((await s.exec(["echo", "served"])).stdout).toBe("served\n");
      await s.release();

      writeFileSync(file, JSON.stringify(registryOf([rc, ra], { rc: { draining: true } }))); // in place, same inode
      await waitFor(() => watched.status().byEndpoint["test-rc"]?.state === "draining", 10_000);
      expect(watched.status().registry.reloadError).toBeUndefined();
    } finally {
      await watched.close();
    }
    for (const d of daemons) expect(await containersOf(d, "reload-watch")).toEqual([]);
  });
});
