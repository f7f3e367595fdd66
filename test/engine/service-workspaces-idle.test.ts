/**
 * Idle auto-stop never stops a workspace in use, through the sandbox service as users reach it (typed client over
 * real HTTPS and the WebSocket shell, the `sandfleet-service` process in front of a real dockerd with mTLS, gVisor):
 * a streamed exec with a silence 3x idleStopMs long and a PTY shell left untouched as long both carry on in the same
 * container; once they end, the workspace is stopped idleStopMs later, not sooner. A client that goes away (a
 * streamed exec cut, a shell socket closed while a program in it ignores the EOF) ends its operation too: the
 * workspace is stopped as idle, nothing keeps it running.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { SandboxApiClient, WORKSPACE_LABELS } from "../../runtime/index";
import type { ShellServerMessage } from "../../runtime/api/schemas";
import { dockerdSupport, startTestDaemons, TestDaemon } from "../support/dockerd";
import { BUSYBOX_IMAGE, ensureBusyboxImage } from "../support/images";
import { ServiceProcess, startServiceProcess } from "../support/service";
import { waitFor } from "../support/wait-for";

const support = dockerdSupport();
const IDLE_STOP_MS = 1_500;
/** The service checks every idleStopMs / 4; a stop (SIGTERM, removal) takes a moment more. */
const STOP_WITHIN_MS = IDLE_STOP_MS + 10_000;

describe.skipIf(!support.ok)("idle auto-stop through the sandbox service", () => {
  let daemons: TestDaemon[] = [];
  let service: ServiceProcess;
  let client: SandboxApiClient;

  const containerIds = async (id: string) => (await daemons[0]!.docker.listContainers({ all: true, filters: { label: [`${WORKSPACE_LABELS.id}=${id}`] } })).map((c) => c.Id);
  // The list, not GET .../{name}: that one also asks the host for the disk used, too heavy to poll.
  const listed = async (name: string) => (await client.listWorkspaces()).workspaces.find((w) => w.name === name)!;
  const state = async (name: string) => (await listed(name)).state;
  /** Waits for the stop; `seen` is when the test saw it, `lastActivityAt` what the service recorded. */
  const stoppedAfterIdle = async (name: string) => {
    await waitFor(async () => (await state(name)) === "stopped", STOP_WITHIN_MS);
    const seen = Date.now();
    return { lastActivityAt: Date.parse((await listed(name)).lastActivityAt), seen };
  };

  /** A WebSocket shell on the workspace, with its output gathered and a wait for text in it. */
  const openShell = async (name: string) => {
    const c = client.workspaceShellConnection(name);
    const socket = new WebSocket(c.url, { headers: c.headers, ca: c.ca });
    const messages: ShellServerMessage[] = [];
    socket.on("message", (raw) => messages.push(JSON.parse(raw.toString())));
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    await new Promise<void>((resolve, reject) => (socket.once("open", () => resolve()), socket.once("error", reject)));
    const output = () => messages.filter((m) => m.type === "stdout").map((m) => (m as { data: string }).data).join("");
    const send = (data: string) => socket.send(JSON.stringify({ type: "stdin", data }));
    const waitForOutput = (text: string) => waitFor(() => output().includes(text), 10_000);
    return { socket, messages, closed, output, send, waitForOutput };
  };

  beforeAll(async () => {
    daemons = await startTestDaemons(["swi"]);
    ensureBusyboxImage(`unix://${daemons[0]!.socketPath}`);
    service = await startServiceProcess(daemons, {
      config: { pool: { poolId: "svc-idle", minIdle: 0, profiles: { default: { image: BUSYBOX_IMAGE, runtime: "runsc" } } }, workspaces: { idleStopMs: IDLE_STOP_MS } },
    });
    client = new SandboxApiClient({ url: service.url, key: service.key, ca: service.ca });
  });

  afterAll(async () => {
    client?.close();
    if (service) {
      await service.stop();
      service.cleanup();
    }
    await Promise.all(daemons.map((d) => d.stop()));
  });

  it("a streamed exec silent for 3x idleStopMs keeps streaming in the same container; the stop comes idleStopMs after its end", async () => {
    const created = await client.createWorkspace({ name: "streaming", quotaGb: 0 });
    const container = await containerIds(created.id);
    const t0 = performance.now();
    const events: { at: number; type: string; data?: string; exitCode?: number }[] = [];
    for await (const event of client.workspaceExecStream("streaming", { argv: ["sh", "-c", "echo start; sleep 5; echo end"] })) events.push({ at: performance.now() - t0, ...event });
    const ended = Date.now();
    expect(events.map((e) => [e.type, e.data ?? e.exitCode])).toEqual([
      ["stdout", "start\n"],
      ["stdout", "end\n"],
      ["exit", 0],
    ]);
    expect(events[1]!.at - events[0]!.at).toBeGreaterThanOrEqual(3 * IDLE_STOP_MS);
    expect(await state("streaming")).toBe("running");
    expect(await containerIds(created.id)).toEqual(container);

    const { lastActivityAt, seen } = await stoppedAfterIdle("streaming");
    expect(lastActivityAt).toBeGreaterThanOrEqual(ended - 1_000); // touched at the end (the throttle may lag by 1 s)
    expect(seen - lastActivityAt).toBeGreaterThanOrEqual(IDLE_STOP_MS);
    expect(seen - ended).toBeGreaterThanOrEqual(IDLE_STOP_MS - 100);
    await client.deleteWorkspace("streaming");
  });

  it("a PTY shell left untouched for 3x idleStopMs still answers in the same container; the stop comes idleStopMs after it exits", async () => {
    const created = await client.createWorkspace({ name: "typing", quotaGb: 0 });
    const container = await containerIds(created.id);
    const shell = await openShell("typing");
    shell.send("echo one-$((1+1))\n");
    await shell.waitForOutput("one-2");
    await new Promise((r) => setTimeout(r, 3 * IDLE_STOP_MS + 500));
    expect(await state("typing")).toBe("running");
    shell.send("echo two-$((2+2))\n");
    await shell.waitForOutput("two-4");
    expect(await containerIds(created.id)).toEqual(container);
    const exitSent = Date.now();
    shell.send("exit 0\n");
    await shell.closed;
    expect(shell.messages.at(-1)).toEqual({ type: "exit", exitCode: 0 });

    const { lastActivityAt, seen } = await stoppedAfterIdle("typing");
    expect(lastActivityAt).toBeGreaterThanOrEqual(exitSent);
    expect(seen - lastActivityAt).toBeGreaterThanOrEqual(IDLE_STOP_MS);
    await client.deleteWorkspace("typing");
  });

  it("a client that goes away ends its operation: a cut streamed exec and a closed shell (its program ignoring EOF) let the workspace stop", async () => {
    await client.createWorkspace({ name: "left", quotaGb: 0 });
    // A streamed exec the client stops reading after its first line: the connection closes, the command is killed.
    for await (const event of client.workspaceExecStream("left", { argv: ["sh", "-c", "echo go; sleep 600"] })) {
      expect(event).toEqual({ type: "stdout", data: "go\n" });
      break;
    }
    await stoppedAfterIdle("left");

    // A shell whose foreground program outlives the client: the EOF the service sends when the socket closes makes
    // Docker hang up the PTY, and both the shell and the program ignore the hangup.
    const shell = await openShell("left");
    shell.send("trap '' HUP; echo sleeping; sleep 600\n");
    await shell.waitForOutput("sleeping");
    shell.socket.close();
    await shell.closed;
    const { lastActivityAt, seen } = await stoppedAfterIdle("left");
    expect(seen - lastActivityAt).toBeGreaterThanOrEqual(IDLE_STOP_MS);
    await client.deleteWorkspace("left");
  });
});
