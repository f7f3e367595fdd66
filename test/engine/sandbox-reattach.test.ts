/**
 * Sandboxes across a dockerd restart, on a real engine with `live-restore: true` (as on real servers, where
 * certificate rotation and Docker upgrades restart dockerd): the containers keep running (gVisor included) but
 * every attach stream is cut. The session re-attaches to the same container and the next exec works; a
 * command in flight fails with ExecInterruptedError; re-attaching is bounded; the pool keeps leased and idle
 * sandboxes and loses track of nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool, ExecInterruptedError, POOL_LABELS, SandboxBrokenError } from "../../runtime/index";
import { EndpointClient } from "../../runtime/docker/endpoint-client";
import { parseSandboxProfile } from "../../runtime/sandbox/profile";
import { SandboxSession, SandboxSessionStartOptions } from "../../runtime/sandbox/sandbox-session";
import type { EndpointRegistry } from "../../runtime/registry/schema";
import { dockerdSupport, sleep, startTestDaemon, TestDaemon, testRegistry, withTimeout } from "../support/dockerd";
import { ensureBusyboxImage } from "../support/images";
import { waitFor } from "../support/wait-for";

const support = dockerdSupport();
const labels = { "dev.sandfleet.managed": "true", "dev.sandfleet.pool": "engine-reattach-test" };

describe.skipIf(!support.ok)("sandboxes across a dockerd restart with live-restore", () => {
  let daemon: TestDaemon;
  let client: EndpointClient;
  let registry: EndpointRegistry;
  let image: string;

  const start = (options: SandboxSessionStartOptions = {}) => SandboxSession.start(client, parseSandboxProfile({ image }), labels, options);
  /** SIGTERM dockerd (containers live on), keep it down for `downMs`, start it again. */
  const restartDaemon = async (downMs = 0) => {
    await daemon.terminate();
    if (downMs > 0) await sleep(downMs);
    await daemon.restart();
  };
  const startedAt = async (id: string) => (await daemon.docker.getContainer(id).inspect()).State.StartedAt;

  beforeAll(async () => {
    daemon = await startTestDaemon({ name: "reattach", liveRestore: true });
    image = ensureBusyboxImage(`unix://${daemon.socketPath}`);
    registry = testRegistry([daemon]);
    client = EndpointClient.remote(registry.endpoints[0]!, registry.tls, { callTimeoutMs: 2_000 });
  });

  afterAll(async () => {
    client?.close();
    await daemon?.stop();
  });

  it("re-attaches to the same running gVisor container, and the next exec on the same session works", async () => {
    const session = await start();
    try {
      expect((await session.exec(["sh", "-c", "echo kept > /tmp/state; uname -r"])).stdout).toBe("4.4.0\n");
      const before = await startedAt(session.containerId);
      await restartDaemon();
      const t0 = Date.now();
      const after = await session.exec(["cat", "/tmp/state"], { timeoutMs: 10_000 });
      console.log(`first exec after the restart answered in ${Date.now() - t0} ms (re-attach included)`);
      expect(after).toMatchObject({ exitCode: 0, stdout: "kept\n", stderr: "", timedOut: false });
      expect(session.reattachCount).toBe(1);
      expect(session.healthy()).toBe(true);
      // Same container, never restarted: live-restore kept it and the shell's stdin (OpenStdin, not StdinOnce).
      const info = await daemon.docker.getContainer(session.containerId).inspect();
      expect(info.State.Running).toBe(true);
      expect(info.State.StartedAt).toBe(before);
      expect(info.HostConfig.Runtime).toBe("runsc");
      expect(info.Config.OpenStdin).toBe(true);
      expect(info.Config.StdinOnce).toBe(false);
      // Output framing is intact on the new stream.
      expect(await session.exec(["sh", "-c", "echo out; echo err >&2; exit 3"])).toMatchObject({ exitCode: 3, stdout: "out\n", stderr: "err\n" });
    } finally {
      await session.destroy();
    }
  });

  it("fails a command in flight with ExecInterruptedError, stops it, and runs the next command cleanly", async () => {
    const session = await start();
    try {
      const inFlight = session.exec(["sh", "-c", "echo started; sleep 30; echo late"]).then(
        () => new Error("the command in flight resolved although its stream was cut"),
        (err: Error) => err,
      );
      await sleep(300); // the command is running inside
      await restartDaemon();
      const outcome = await withTimeout(inFlight, 15_000);
      expect(outcome).toBeInstanceOf(ExecInterruptedError);
      expect(outcome.message).toContain("run the command again if it is safe to repeat");
      // The interrupted command's tail never leaks into the next command's output.
      const next = await session.exec(["echo", "next"]);
      expect(next).toMatchObject({ exitCode: 0, stdout: "next\n", stderr: "" });
      // It was stopped: nothing of it is left running in the sandbox.
      const ps = await session.exec(["ps", "-o", "args"]);
      expect(ps.stdout).not.toContain("sleep 30");
    } finally {
      await session.destroy();
    }
  });

  it("gives up after reattachTimeoutMs when the daemon stays away, and says the sandbox is broken", async () => {
    const session = await start({ reattachTimeoutMs: 1_000 });
    try {
      await daemon.terminate();
      await sleep(200);
      expect(session.recovering()).toBe(true);
      const t0 = Date.now();
      const outcome = await session.exec(["echo", "x"]).then(() => undefined, (err: Error) => err);
      expect(Date.now() - t0).toBeLessThan(3_000);
      expect(outcome).toBeInstanceOf(SandboxBrokenError);
      expect(outcome!.message).toContain("could not be re-attached before the deadline");
      expect(session.healthy()).toBe(false);
    } finally {
      await daemon.restart();
      await session.destroy();
    }
  });

  it("does not try to re-attach a container that stopped, and tells why", async () => {
    const session = await start();
    try {
      await daemon.docker.getContainer(session.containerId).kill();
      const outcome = await withTimeout(session.exec(["echo", "x"]).then(() => undefined, (err: Error) => err), 5_000);
      expect(outcome).toBeInstanceOf(SandboxBrokenError);
      expect(outcome!.message).toMatch(/its container stopped \(exited/);
    } finally {
      await session.destroy();
    }
  });

  it("keeps a pool's leased and idle sandboxes across the restart, and leaves no container behind", async () => {
    const healthIntervalMs = 300;
    const pool = await createPool({
      registry,
      poolId: "reattach",
      minIdle: 2,
      profiles: { default: { image } },
      healthIntervalMs,
      healthTimeoutMs: 200,
      callTimeoutMs: 2_000,
    });
    const poolContainers = () =>
      withTimeout(daemon.docker.listContainers({ all: true, filters: { label: [`${POOL_LABELS.pool}=reattach`] } }), 10_000);
    try {
      const leased = await pool.acquire();
      await leased.exec(["sh", "-c", "echo mine > /tmp/who"]);
      await waitFor(() => pool.status().idle === 2, 30_000);
      const idleBefore = pool.inventory().filter((k) => k.state === "idle").map((k) => k.name).sort();

      // Down long enough for the health check to see it (several intervals), well inside the outage grace.
      await daemon.terminate();
      await waitFor(() => pool.status().byEndpoint["test-reattach"]!.state === "unresponsive", 5 * healthIntervalMs);
      expect(pool.status().byEndpoint["test-reattach"]).toMatchObject({ idle: 2, acquired: 1 }); // parked, not written off
      await daemon.restart();

      // The leased sandbox goes on where it was.
      const r = await leased.exec(["cat", "/tmp/who"], { timeoutMs: 10_000 });
      expect(r.stdout).toBe("mine\n");
      await waitFor(() => pool.status().byEndpoint["test-reattach"]!.state === "ready", 10_000);
      await waitFor(() => pool.status().byEndpoint["test-reattach"]!.recovering === 0, 10_000);

      // The idle ones recovered (same containers) and are handed out again.
      const again = [await pool.acquire({ timeoutMs: 10_000 }), await pool.acquire({ timeoutMs: 10_000 })];
      expect(again.map((s) => s.name).sort()).toEqual(idleBefore);
      for (const s of again) expect((await s.exec(["echo", "ok"])).stdout).toBe("ok\n");

      // Nothing on the engine that the pool does not know.
      await pool.checkHealth();
      const known = new Set(pool.inventory().map((k) => `/${k.name}`));
      expect((await poolContainers()).every((c) => known.has(c.Names[0]!))).toBe(true);
      await Promise.all([leased, ...again].map((s) => s.release()));
    } finally {
      await pool.close();
    }
    expect(await poolContainers()).toEqual([]);
  });
});
