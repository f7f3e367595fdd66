/**
 * The sandbox service when things go wrong, each with its documented rule (service/leases.ts, plugins/exec.ts,
 * plugins/shell.ts), against the real service process and real dockerd endpoints under gVisor:
 * - a lease runs out: the sandbox is destroyed, later calls get 410;
 * - a streamed exec's client disconnects: the command is killed, the sandbox keeps its lease and works;
 * - the interactive shell: a PTY of the size asked for, resized on request, its exit code; a client that goes away
 *   ends the terminal, not the lease;
 * - the service is killed (SIGKILL) with sandboxes leased: the next start removes their containers and their
 *   leases answer 410 (reclaimed); none is orphaned;
 * - a workspace host dies in the middle of a call: 503 naming the endpoint.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { POOL_LABELS, SandboxApiClient, SandboxApiError } from "../../runtime/index";
import type { ShellServerMessage } from "../../runtime/api/schemas";
import { dockerdSupport, sleep, startTestDaemons, TestDaemon } from "../support/dockerd";
import { BUSYBOX_IMAGE, ensureBusyboxImage } from "../support/images";
import { ServiceProcess, startServiceProcess } from "../support/service";

const support = dockerdSupport();
const POOL_ID = "svc-faults";

describe.skipIf(!support.ok)("the sandbox service under faults", () => {
  let daemons: TestDaemon[] = [];
  let service: ServiceProcess;
  let api: SandboxApiClient;

  const containersOf = async (daemon: TestDaemon) => daemon.docker.listContainers({ all: true, filters: { label: [`${POOL_LABELS.pool}=${POOL_ID}`] } });
  const daemonOf = (endpointId: string) => daemons.find((d) => `test-${d.name}` === endpointId)!;
  const waitFor = async (what: string, check: () => Promise<boolean>, ms = 30_000) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (await check()) return;
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${what}`);
  };

  beforeAll(async () => {
    daemons = await startTestDaemons(["fa", "fb"]);
    for (const d of daemons) ensureBusyboxImage(`unix://${d.socketPath}`);
    service = await startServiceProcess(daemons, {
      config: { pool: { poolId: POOL_ID, minIdle: 1, healthIntervalMs: 1_000, healthTimeoutMs: 800, endpointOutageGraceMs: 3_000, profiles: { default: { image: BUSYBOX_IMAGE, runtime: "runsc" } } } },
    });
    api = new SandboxApiClient({ url: service.url, key: service.key, ca: service.ca });
  });

  afterAll(async () => {
    api?.close();
    if (service) {
      await service.stop();
      service.cleanup();
    }
    await Promise.all(daemons.map((d) => d.stop()));
  });

  it("a lease that runs out destroys the sandbox; later calls get 410", async () => {
    const sandbox = await api.createSandbox({ leaseMs: 1_500 });
    expect((await api.exec(sandbox.id, { argv: ["true"] })).exitCode).toBe(0);
    const daemon = daemonOf(sandbox.endpointId);
    await waitFor("the expired sandbox's container to go", async () => !(await containersOf(daemon)).some((c) => c.Names.includes(`/${sandbox.id}`)), 20_000);
    const err = await api.exec(sandbox.id, { argv: ["true"] }).catch((e: SandboxApiError) => e);
    expect(err).toMatchObject({ status: 410, code: "SANDBOX_GONE", message: expect.stringContaining("lease expired") });
    expect((await api.getSandbox(sandbox.id).catch((e: SandboxApiError) => e)) as SandboxApiError).toMatchObject({ status: 410 });
  });

  it("a client that disconnects mid-stream: the command is killed, the sandbox keeps its lease and runs the next command", async () => {
    const sandbox = await api.createSandbox({ leaseMs: 120_000 });
    try {
      for await (const event of api.execStream(sandbox.id, { argv: ["sh", "-c", "echo started; sleep 30; echo finished > /tmp/finished"] })) {
        expect(event).toEqual({ type: "stdout", data: "started\n" });
        break; // closes the connection
      }
      await waitFor("the abandoned command to be killed", async () => !(await api.exec(sandbox.id, { argv: ["ps"] })).stdout.includes("sleep 30"), 10_000);
      const after = await api.exec(sandbox.id, { argv: ["sh", "-c", "echo still here; test -e /tmp/finished || echo not finished"] });
      expect(after.stdout).toBe("still here\nnot finished\n");
      expect((await api.getSandbox(sandbox.id)).state).toBe("leased");
    } finally {
      await api.releaseSandbox(sandbox.id);
    }
  });

  it("the shell: a PTY of the asked size, resized on request, stdin, exit code; a disconnect ends only the terminal", async () => {
    const sandbox = await api.createSandbox({ leaseMs: 120_000 });
    try {
      const open = (cols: number, rows: number) => {
        const c = api.shellConnection(sandbox.id, cols, rows);
        const socket = new WebSocket(c.url, { headers: c.headers, ca: c.ca });
        const messages: ShellServerMessage[] = [];
        socket.on("message", (raw) => messages.push(JSON.parse(raw.toString())));
        const output = () => messages.filter((m) => m.type === "stdout").map((m) => (m as { data: string }).data).join("");
        const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
        return { socket, messages, output, closed, opened: new Promise<void>((resolve, reject) => (socket.once("open", () => resolve()), socket.once("error", reject))) };
      };
      const stdin = (s: WebSocket, data: string) => s.send(JSON.stringify({ type: "stdin", data }));

      const shell = open(101, 37);
      await shell.opened;
      stdin(shell.socket, "stty size\n");
      await waitFor("stty size output", async () => shell.output().includes("37 101"), 10_000);
      shell.socket.send(JSON.stringify({ type: "resize", cols: 120, rows: 40 }));
      await sleep(300);
      stdin(shell.socket, "stty size; exit 7\n");
      await shell.closed;
      expect(shell.output()).toContain("40 120");
      expect(shell.messages.at(-1)).toEqual({ type: "exit", exitCode: 7 });

      const dropped = open(80, 24);
      await dropped.opened;
      stdin(dropped.socket, "sleep 300\n");
      await sleep(300);
      dropped.socket.terminate();
      // The terminal got EOF (its sh exits once the foreground sleep ends); the lease and the sandbox stay.
      expect((await api.getSandbox(sandbox.id)).state).toBe("leased");
      expect((await api.exec(sandbox.id, { argv: ["echo", "ok"] })).stdout).toBe("ok\n");

      const refused = new WebSocket(api.shellConnection(sandbox.id).url, { ca: service.ca });
      const status = await new Promise<number>((resolve) => refused.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0)));
      expect(status).toBe(401);
    } finally {
      await api.releaseSandbox(sandbox.id);
    }
  });

  it("the service killed with sandboxes leased: the next start removes their containers and their leases answer 410", async () => {
    const leased = [await api.createSandbox({ leaseMs: 300_000 }), await api.createSandbox({ leaseMs: 300_000 })];
    service.child.kill("SIGKILL");
    await new Promise((resolve) => service.child.once("exit", resolve));
    // Left behind by the killed process, until the next start.
    const names = async () => (await Promise.all(daemons.map(containersOf))).flat().flatMap((c) => c.Names);
    expect(await names()).toEqual(expect.arrayContaining(leased.map((s) => `/${s.id}`)));
    await service.restart();
    api.close();
    api = new SandboxApiClient({ url: service.url, key: service.key, ca: service.ca });
    await waitFor("the previous run's containers to be removed", async () => !(await names()).some((n) => leased.some((s) => n === `/${s.id}`)));
    for (const s of leased) {
      const err = await api.exec(s.id, { argv: ["true"] }).catch((e: SandboxApiError) => e);
      expect(err).toMatchObject({ status: 410, code: "SANDBOX_GONE", message: expect.stringContaining("reclaimed") });
    }
    expect((await api.listSandboxes()).sandboxes).toEqual([]);
  });

  it("a workspace host lost in the middle of a call: 503 naming the endpoint", async () => {
    const lost = daemons[1]!;
    const sandbox = await api.createSandbox({ affinity: { matchExpressions: [{ key: "daemon", operator: "In", values: [lost.name] }] }, leaseMs: 120_000 });
    expect(sandbox.endpointId).toBe(`test-${lost.name}`);
    const call = api.exec(sandbox.id, { argv: ["sleep", "20"] }).catch((e: SandboxApiError) => e);
    await sleep(500);
    await lost.kill();
    const err = (await call) as SandboxApiError;
    expect(err).toBeInstanceOf(SandboxApiError);
    expect(err.status).toBe(503);
    expect(err.message).toContain(`test-${lost.name}`);
    // The lease ended with the host: the next call says so.
    const next = await api.exec(sandbox.id, { argv: ["true"] }).catch((e: SandboxApiError) => e);
    expect(next).toMatchObject({ status: 410 });
    expect((next as SandboxApiError).message).toContain(`test-${lost.name}`);
  });
});
