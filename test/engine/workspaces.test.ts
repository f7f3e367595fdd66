/**
 * Persistent workspaces (runtime/workspace/) against real dockerd endpoints with mTLS, containers under gVisor:
 * files outlive stop/start, a dockerd restart and a new manager (a restarted process); snapshot, delete and
 * restore into a new workspace; idle auto-stop and start on the next exec, never under a command in flight, nor
 * under one that begins as the sweep decides; owners isolated; a failed create leaves
 * nothing; a host gone from the registry or draining makes its workspaces unavailable, never recreated elsewhere.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createPool,
  MemoryWorkspaceStore,
  Pool,
  WorkspaceNotFoundError,
  Workspaces,
  WorkspaceUnavailableError,
  WORKSPACE_LABELS,
} from "../../runtime/index";
import type { EndpointRegistry } from "../../runtime/index";
import { dockerdSupport, startTestDaemons, TestDaemon, testRegistry } from "../support/dockerd";
import { BUSYBOX_IMAGE, ensureBusyboxImage } from "../support/images";
import { waitFor } from "../support/wait-for";

const support = dockerdSupport();
// quotaGb 0 (a plain volume) except where a test says otherwise: these engines are not sandfleet hosts and have no
// host disk script, so a quota cannot be enforced on them (the last test checks that it is refused, not ignored).
const profiles = { default: { image: BUSYBOX_IMAGE, runtime: "runsc" as const }, missing: { image: "sandfleet-test/not-loaded:1", runtime: "runsc" as const } };

describe.skipIf(!support.ok)("persistent workspaces on real engines", () => {
  let daemons: TestDaemon[] = [];
  let registry: EndpointRegistry;
  let pool: Pool;

  const daemonOf = (endpointId: string) => daemons.find((d) => `test-${d.name}` === endpointId)!;
  const volumesOf = async (d: TestDaemon, id: string) => ((await d.docker.listVolumes({ filters: { label: [`${WORKSPACE_LABELS.id}=${id}`] } })).Volumes ?? []).map((v) => v.Name);
  const containersOf = async (d: TestDaemon, id: string) => (await d.docker.listContainers({ all: true, filters: { label: [`${WORKSPACE_LABELS.id}=${id}`] } })).map((c) => c.State);
  const containerIdsOf = async (d: TestDaemon, id: string) => (await d.docker.listContainers({ all: true, filters: { label: [`${WORKSPACE_LABELS.id}=${id}`] } })).map((c) => c.Id);

  beforeAll(async () => {
    daemons = await startTestDaemons(["wsa", "wsb"], { liveRestore: true });
    for (const d of daemons) ensureBusyboxImage(`unix://${d.socketPath}`);
    registry = testRegistry(daemons);
    pool = await createPool({ registry, poolId: "ws-engine", minIdle: 0, profiles, healthIntervalMs: 1_000, healthTimeoutMs: 500, endpointOutageGraceMs: 2_000 });
  });

  afterAll(async () => {
    await pool?.close();
    await Promise.all(daemons.map((d) => d.stop()));
  });

  it("writes a file, stops (container gone, volume kept), starts on the same endpoint and reads it back, under gVisor", async () => {
    const ws = new Workspaces(pool, { idleStopMs: 0 });
    await ws.start();
    try {
      const created = await ws.create({ name: "notes", owner: "alice", quotaGb: 0, labels: { team: "blue" } });
      expect(created).toMatchObject({ name: "notes", owner: "alice", state: "running", mountPath: "/workspace", quotaGb: 0, labels: { team: "blue" } });
      const write = await ws.exec("alice", "notes", ["sh", "-c", "pwd; id -u; uname -r; echo hello > note.txt; dd if=/dev/zero of=blob bs=1024 count=512 2>/dev/null"]);
      expect(write, write.stderr).toMatchObject({ exitCode: 0, stdout: "/workspace\n65534\n4.4.0\n" });
      const host = daemonOf(created.endpointId);
      const inspected = await ws.inspect("alice", "notes");
      expect(inspected.diskUsedBytes).toBeGreaterThanOrEqual(512 * 1024);

      const stopped = await ws.stop("alice", "notes");
      expect(stopped.state).toBe("stopped");
      await waitFor(async () => (await containersOf(host, created.id)).length === 0, 10_000);
      expect(await volumesOf(host, created.id)).toEqual([`sandfleet-ws-${created.id}`]);

      const started = await ws.startWorkspace("alice", "notes");
      expect(started).toMatchObject({ state: "running", endpointId: created.endpointId });
      expect((await ws.exec("alice", "notes", ["cat", "note.txt"])).stdout).toBe("hello\n");
      // putFile goes through the same session code as a sandbox's.
      await ws.putFile("alice", "notes", "/workspace/sub/put.txt", "via putFile");
      expect((await ws.exec("alice", "notes", ["cat", "/workspace/sub/put.txt"])).stdout).toBe("via putFile");

      await ws.delete("alice", "notes");
      expect(await volumesOf(host, created.id)).toEqual([]);
      expect(await containersOf(host, created.id)).toEqual([]);
    } finally {
      await ws.close();
    }
  });

  it("keeps owners apart: the same name for two owners, and another owner's workspace is not found", async () => {
    const ws = new Workspaces(pool, { idleStopMs: 0 });
    try {
      await ws.create({ name: "shared-name", owner: "alice", quotaGb: 0 });
      await ws.create({ name: "shared-name", owner: "bob", quotaGb: 0 });
      await ws.exec("alice", "shared-name", ["sh", "-c", "echo alice > who"]);
      await ws.exec("bob", "shared-name", ["sh", "-c", "echo bob > who"]);
      expect((await ws.exec("alice", "shared-name", ["cat", "who"])).stdout).toBe("alice\n");
      expect(ws.list("bob").map((w) => w.owner)).toEqual(["bob"]);
      await ws.create({ name: "private", owner: "alice", quotaGb: 0 }, { start: false });
      await expect(ws.exec("bob", "private", ["true"])).rejects.toBeInstanceOf(WorkspaceNotFoundError);
      await expect(ws.delete("bob", "private")).rejects.toBeInstanceOf(WorkspaceNotFoundError);
      for (const [owner, name] of [["alice", "shared-name"], ["bob", "shared-name"], ["alice", "private"]] as const) await ws.delete(owner, name);
    } finally {
      await ws.close();
    }
  });

  it("refuses a quota on a host that cannot enforce it (no disk script), naming the fix, and leaves nothing behind", async () => {
    const ws = new Workspaces(pool, { idleStopMs: 0 });
    try {
      const failed = await ws.create({ name: "quota", owner: "alice", quotaGb: 1 }).catch((e) => e);
      expect(failed, String(failed?.stack)).toBeInstanceOf(WorkspaceUnavailableError);
      // This machine's PID 1 is no sandfleet host: either the script is missing or the helper cannot enter it.
      expect(String(failed.message)).toMatch(/^endpoint test-ws[ab] cannot enforce disk quotas: .*quotaGb 1 cannot be enforced there; re-provision the host .* or create the workspace with quotaGb: 0/);
      expect(ws.list()).toEqual([]);
      for (const d of daemons) {
        expect((await d.docker.listVolumes({ filters: { label: [WORKSPACE_LABELS.id] } })).Volumes ?? []).toEqual([]);
        expect(await d.docker.listContainers({ all: true, filters: { label: [WORKSPACE_LABELS.id] } })).toEqual([]);
      }
    } finally {
      await ws.close();
    }
  });

  it("a failed create (image missing on the host) leaves no volume, container or record", async () => {
    const ws = new Workspaces(pool, { idleStopMs: 0 });
    try {
      const failed = await ws.create({ name: "broken", owner: "alice", profile: "missing", quotaGb: 0 }).catch((e) => e);
      expect(failed, String(failed?.stack)).toMatchObject({ code: "IMAGE_NOT_FOUND" });
      expect(ws.list()).toEqual([]);
      for (const d of daemons) {
        expect((await d.docker.listVolumes({ filters: { label: [WORKSPACE_LABELS.id] } })).Volumes ?? []).toEqual([]);
        expect(await d.docker.listContainers({ all: true, filters: { label: [WORKSPACE_LABELS.id] } })).toEqual([]);
      }
      await expect(ws.create({ name: "Bad Name", owner: "alice", quotaGb: 0 })).rejects.toThrow(/name: must be 1-63 lower-case/);
    } finally {
      await ws.close();
    }
  });

  it("survives a dockerd restart and a restarted manager: the file is read back, stray containers are removed", async () => {
    const store = new MemoryWorkspaceStore();
    const first = new Workspaces(pool, { store, idleStopMs: 0 });
    const created = await first.create({ name: "durable", owner: "carol", quotaGb: 0 });
    await first.exec("carol", "durable", ["sh", "-c", "echo kept > kept.txt"]);
    const host = daemonOf(created.endpointId);
    await host.terminate();
    await host.restart();
    await pool.checkHealth();
    expect((await first.exec("carol", "durable", ["cat", "kept.txt"])).stdout).toBe("kept\n");

    // A new process (new manager, empty store): it adopts the volume from its labels and removes the old container.
    const second = new Workspaces(pool, { store: new MemoryWorkspaceStore(), idleStopMs: 0 });
    try {
      const report = await second.start();
      expect(report.fixes.map((f) => f.action).sort()).toEqual(["adopted-volume", "removed-container"]);
      expect(second.list("carol")).toMatchObject([{ name: "durable", state: "stopped", endpointId: created.endpointId }]);
      expect((await second.exec("carol", "durable", ["cat", "kept.txt"])).stdout).toBe("kept\n");
      await second.delete("carol", "durable");
    } finally {
      await second.close();
      await first.close();
    }
  });

  it("snapshots a workspace as a tar, deletes it, restores it into a new workspace and reads it back", async () => {
    const ws = new Workspaces(pool, { idleStopMs: 0 });
    try {
      await ws.create({ name: "origin", owner: "dave", quotaGb: 0 });
      await ws.exec("dave", "origin", ["sh", "-c", "mkdir -p d && echo one > d/a.txt && chmod 600 d/a.txt"]);
      await ws.stop("dave", "origin");
      const tar = await ws.snapshot("dave", "origin"); // stopped: read from the host side
      expect(tar.subarray(0, 100).toString("utf8")).toMatch(/^workspace\//);
      await ws.delete("dave", "origin");
      const copy = await ws.create({ name: "copy", owner: "dave", quotaGb: 0 }, { restoreFrom: tar });
      expect((await ws.exec("dave", "copy", ["sh", "-c", "cat d/a.txt; stat -c '%a %u' d/a.txt"])).stdout).toBe("one\n600 65534\n");
      expect(copy.name).toBe("copy");
      await ws.delete("dave", "copy");
    } finally {
      await ws.close();
    }
  });

  it("stops a workspace after idleStopMs without activity; the next exec starts it", async () => {
    const ws = new Workspaces(pool, { idleStopMs: 1_500, idleCheckMs: 200 });
    await ws.start();
    try {
      const created = await ws.create({ name: "sleepy", owner: "erin", quotaGb: 0 });
      await ws.exec("erin", "sleepy", ["sh", "-c", "echo zz > z"]);
      await waitFor(() => ws.list("erin")[0]!.state === "stopped", 10_000);
      // Docker may list the container as "removing" for a moment after its name is free.
      await waitFor(async () => (await containersOf(daemonOf(created.endpointId), created.id)).length === 0, 10_000);
      expect((await ws.exec("erin", "sleepy", ["cat", "z"])).stdout).toBe("zz\n");
      expect(ws.list("erin")[0]!.state).toBe("running");
      await ws.delete("erin", "sleepy");
    } finally {
      await ws.close();
    }
  });

  it("never stops a workspace under a buffered exec 3x idleStopMs long; stops it idleStopMs after the exec ended", async () => {
    const idleStopMs = 1_500;
    const ws = new Workspaces(pool, { idleStopMs, idleCheckMs: 200, stopGraceSeconds: 1 });
    await ws.start();
    try {
      const created = await ws.create({ name: "long-exec", owner: "gina", quotaGb: 0 });
      const host = daemonOf(created.endpointId);
      const container = await containerIdsOf(host, created.id);
      const started = Date.now();
      const result = await ws.exec("gina", "long-exec", ["sh", "-c", "sleep 5; echo done > done.txt; echo done"]);
      const ended = Date.now();
      expect(result, result.stderr).toMatchObject({ exitCode: 0, stdout: "done\n", timedOut: false });
      expect(result.durationMs).toBeGreaterThanOrEqual(3 * idleStopMs);
      // Still running, in the same container: the sweeps during the command all skipped it.
      expect(ws.list("gina")[0]).toMatchObject({ state: "running" });
      expect(await containerIdsOf(host, created.id)).toEqual(container);
      // Idle time counts from the end of the exec, not its start.
      expect(ws.list("gina")[0]!.lastActivityAt.getTime()).toBeGreaterThanOrEqual(started + 3 * idleStopMs);
      await waitFor(() => ws.list("gina")[0]!.state === "stopped", idleStopMs + 10_000);
      expect(Date.now() - ended).toBeGreaterThanOrEqual(idleStopMs);
      await waitFor(async () => (await containersOf(host, created.id)).length === 0, 10_000);
      expect((await ws.exec("gina", "long-exec", ["cat", "done.txt"])).stdout).toBe("done\n");
      await ws.delete("gina", "long-exec");
    } finally {
      await ws.close();
    }
  });

  it("an exec that begins just as the idle sweep picked the workspace is not stopped under; one that begins once the stop began waits and restarts it", async () => {
    // A frozen clock: the workspace is idle only when the test moves the clock, and then the next sweep picks it.
    let clock = Date.now();
    let onSweep: (() => void) | undefined;
    // The sweep reads each running workspace's record from the store: the hook runs the test's exec right there,
    // after the sweep looked and before the stop it queued runs.
    class SweepHookStore extends MemoryWorkspaceStore {
      override get(id: string) {
        const hook = onSweep;
        onSweep = undefined;
        hook?.();
        return super.get(id);
      }
    }
    const ws = new Workspaces(pool, { store: new SweepHookStore(), idleStopMs: 1_500, idleCheckMs: 100, stopGraceSeconds: 1, now: () => clock });
    await ws.start();
    try {
      const created = await ws.create({ name: "racy", owner: "hank", quotaGb: 0 });
      await ws.exec("hank", "racy", ["sh", "-c", "echo kept > k.txt"]);
      const host = daemonOf(created.endpointId);
      const first = await containerIdsOf(host, created.id);

      // 1. The exec is counted in a microtask queued before the stop's: the stop's own check sees it and skips.
      let during: Promise<{ exitCode: number; stdout: string }> | undefined;
      onSweep = () => queueMicrotask(() => void (during = ws.exec("hank", "racy", ["sh", "-c", "sleep 1; cat k.txt"])));
      clock += 60_000;
      await waitFor(() => during !== undefined, 5_000);
      expect(await during).toMatchObject({ exitCode: 0, stdout: "kept\n" });
      expect(ws.list("hank")[0]!.state).toBe("running");
      expect(await containerIdsOf(host, created.id)).toEqual(first);

      // 2. The exec begins after the stop marked the workspace stopping: it waits for the stop, then starts it again.
      let after: Promise<{ exitCode: number; stdout: string }> | undefined;
      onSweep = () => setTimeout(() => void (after = ws.exec("hank", "racy", ["cat", "k.txt"])), 0);
      clock += 60_000;
      await waitFor(() => after !== undefined, 5_000);
      expect(await after).toMatchObject({ exitCode: 0, stdout: "kept\n" });
      expect(ws.list("hank")[0]!.state).toBe("running");
      const second = await containerIdsOf(host, created.id);
      expect(second).toHaveLength(1);
      expect(second).not.toEqual(first);
      await ws.delete("hank", "racy");
    } finally {
      await ws.close();
    }
  });

  it("a host draining or gone from the registry: its workspaces are unavailable with the reason, never recreated elsewhere", async () => {
    const store = new MemoryWorkspaceStore();
    const ws = new Workspaces(pool, { store, idleStopMs: 0 });
    try {
      const pinned = (name: string) => ({ name, owner: "frank", quotaGb: 0, affinity: { matchExpressions: [{ key: "sandfleet.dev/endpoint", operator: "In" as const, values: ["test-wsb"] }] } });
      await ws.create(pinned("on-b"));
      await ws.exec("frank", "on-b", ["sh", "-c", "echo b > b.txt"]);
      await ws.stop("frank", "on-b");

      await pool.updateRegistry({ ...registry, endpoints: [registry.endpoints[0], { ...registry.endpoints[1]!, draining: true }] });
      expect(ws.list("frank")[0]).toMatchObject({ state: "unavailable", reason: expect.stringContaining("draining") });
      await expect(ws.exec("frank", "on-b", ["true"])).rejects.toBeInstanceOf(WorkspaceUnavailableError);
      // Data can still be read off a draining host.
      expect((await ws.snapshot("frank", "on-b")).length).toBeGreaterThan(0);

      await pool.updateRegistry({ ...registry, endpoints: [registry.endpoints[0]] });
      expect(ws.list("frank")[0]).toMatchObject({ state: "unavailable", endpointId: "test-wsb", reason: expect.stringContaining("not in the registry") });
      await expect(ws.startWorkspace("frank", "on-b")).rejects.toThrow(/not in the registry/);
      expect(await containersOf(daemons[0]!, ws.list("frank")[0]!.id)).toEqual([]);

      await pool.updateRegistry(registry);
      await pool.checkHealth();
      expect((await ws.exec("frank", "on-b", ["cat", "b.txt"])).stdout).toBe("b\n");
      await ws.delete("frank", "on-b");
    } finally {
      await pool.updateRegistry(registry).catch(() => undefined);
      await ws.close();
    }
  });
});
