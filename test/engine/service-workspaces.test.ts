/**
 * Persistent workspaces through the sandbox service as users reach it: `sandfleet workspaces ... --api URL`
 * (bin/sandfleet.js) and the typed client over real HTTPS, against the `sandfleet-service` process in front of a
 * real dockerd with mTLS, containers under gVisor. Files survive stop/start and a service restart; two keys
 * (tenants) never see or touch each other's workspaces; snapshot, delete, restore into a new workspace. A workspace
 * has the sandboxes' streamed exec, shell and files (the same handlers), each starting it when stopped.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { SandboxApiClient } from "../../runtime/index";
import type { ShellServerMessage } from "../../runtime/api/schemas";
import { dockerdSupport, startTestDaemons, TestDaemon } from "../support/dockerd";
import { BUSYBOX_IMAGE, ensureBusyboxImage } from "../support/images";
import { ServiceProcess, startServiceProcess } from "../support/service";

const support = dockerdSupport();
const CLI = join(__dirname, "../../bin/sandfleet.js");

describe.skipIf(!support.ok)("sandfleet workspaces against the sandbox service", () => {
  let daemons: TestDaemon[] = [];
  let service: ServiceProcess;
  let admin: SandboxApiClient;
  let otherKey: string;

  const sandfleet = (args: string[], key = service.key) =>
    spawnSync(process.execPath, [CLI, "workspaces", ...args, "--api", service.url], {
      encoding: "utf8",
      timeout: 120_000,
      env: { ...process.env, SANDFLEET_API_KEY: key, SANDFLEET_API_CA: service.caFile },
    });
  // exec puts the command after --, so --api goes before it.
  const exec = (name: string, command: string[], key = service.key) =>
    spawnSync(process.execPath, [CLI, "workspaces", "exec", name, "--api", service.url, "--", ...command], {
      encoding: "utf8",
      timeout: 120_000,
      env: { ...process.env, SANDFLEET_API_KEY: key, SANDFLEET_API_CA: service.caFile },
    });

  beforeAll(async () => {
    daemons = await startTestDaemons(["swa"]);
    ensureBusyboxImage(`unix://${daemons[0]!.socketPath}`);
    service = await startServiceProcess(daemons, { config: { pool: { poolId: "svc-ws", minIdle: 0, profiles: { default: { image: BUSYBOX_IMAGE, runtime: "runsc" } } } } });
    admin = new SandboxApiClient({ url: service.url, key: service.key, ca: service.ca });
    otherKey = (await admin.createKey({ name: "tenant-b" })).key;
  });

  afterAll(async () => {
    admin?.close();
    if (service) {
      await service.stop();
      service.cleanup();
    }
    await Promise.all(daemons.map((d) => d.stop()));
  });

  it("create, write, stop, start, read back with the CLI; survives a service restart", async () => {
    const created = sandfleet(["create", "proj", "--quota-gb", "0", "--label", "team=blue"]);
    expect(created.status, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^proj running on test-swa \(data at \/workspace\)/);
    const write = exec("proj", ["sh", "-c", "echo persisted > f.txt; uname -r"]);
    expect(write.stdout).toBe("4.4.0\n");
    expect(write.status).toBe(0);
    expect(sandfleet(["stop", "proj"]).stdout).toBe("proj stopped\n");
    expect(sandfleet(["list"]).stdout).toMatch(/proj\s+stopped\s+test-swa\s+default\s+0\s/);
    expect(sandfleet(["start", "proj"]).stdout).toBe("proj running\n");
    expect(exec("proj", ["cat", "f.txt"]).stdout).toBe("persisted\n");
    const failing = exec("proj", ["sh", "-c", "echo no >&2; exit 7"]);
    expect(failing.status).toBe(7);
    expect(failing.stderr).toBe("no\n");

    // A crash (SIGKILL) with the workspace running, then a start: the reconcile removes the container nobody drives
    // any more, the workspace is listed stopped with its data, and the next exec starts it.
    const exited = new Promise((resolve) => service.child.once("exit", resolve));
    service.child.kill("SIGKILL");
    await exited;
    await service.restart();
    const again = new SandboxApiClient({ url: service.url, key: service.key, ca: service.ca });
    try {
      const info = await again.getWorkspace("proj");
      expect(info).toMatchObject({ state: "stopped", endpointId: "test-swa", quotaGb: 0, labels: { team: "blue" } });
      expect(info.diskUsedBytes).toBeGreaterThan(0);
      expect(service.log()).toContain("workspace reconcile: removed-container");
      expect((await again.workspaceExec("proj", { argv: ["cat", "/workspace/f.txt"] })).stdout).toBe("persisted\n");
      expect((await again.getWorkspace("proj")).state).toBe("running");
    } finally {
      again.close();
    }
    admin.close();
    admin = new SandboxApiClient({ url: service.url, key: service.key, ca: service.ca });
    // A graceful stop (SIGTERM) stops running workspaces itself: nothing is left for the next start to fix.
    expect(await service.stop()).toBe(0);
    expect(await daemons[0]!.docker.listContainers({ all: true, filters: { label: ["dev.sandfleet.workspace"] } })).toEqual([]);
    await service.restart();
  });

  it("keeps tenants apart: another key gets 404 for the workspace and sees none; names are per key", async () => {
    expect(sandfleet(["list", "--json"], otherKey).stdout.trim()).toBe("[]");
    const peek = exec("proj", ["cat", "f.txt"], otherKey);
    expect(peek.status).toBe(1);
    expect(peek.stderr).toContain("WORKSPACE_NOT_FOUND (HTTP 404)");
    expect(sandfleet(["delete", "proj"], otherKey).stderr).toContain("HTTP 404");
    expect(sandfleet(["stop", "proj"], otherKey).stderr).toContain("HTTP 404");
    // Its own "proj" is a different workspace.
    expect(sandfleet(["create", "proj", "--quota-gb", "0"], otherKey).status).toBe(0);
    expect(exec("proj", ["sh", "-c", "cat f.txt 2>/dev/null || echo empty"], otherKey).stdout).toBe("empty\n");
    expect(sandfleet(["delete", "proj"], otherKey).stdout).toBe("deleted proj\n");
    expect(exec("proj", ["cat", "f.txt"]).stdout).toBe("persisted\n");
  });

  it("bad input names the field; a duplicate name is a 409", async () => {
    const bad = sandfleet(["create", "Bad_Name"]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain("INVALID_REQUEST (HTTP 400): body.name: must be 1-63 lower-case");
    const dup = sandfleet(["create", "proj"]);
    expect(dup.stderr).toContain("WORKSPACE_EXISTS (HTTP 409)");
    expect(sandfleet(["create", "x", "--quota-gb=-1"]).stderr).toContain("--quota-gb must be a whole number");
  });

  it("a workspace streams exec output, runs a PTY shell and moves files and directories, each starting it when stopped", async () => {
    const created = await admin.createWorkspace({ name: "io", quotaGb: 0, start: false });
    expect(created.state).toBe("stopped");

    // Streamed exec on a stopped workspace: it starts, and the first chunk comes before the command ends.
    const t0 = performance.now();
    const seen: { at: number; type: string }[] = [];
    for await (const event of admin.workspaceExecStream("io", { argv: ["sh", "-c", "echo first; sleep 2; echo last >&2"] })) seen.push({ at: performance.now() - t0, type: event.type });
    expect(seen.map((e) => e.type)).toEqual(["stdout", "stderr", "exit"]);
    expect(seen[2]!.at - seen[0]!.at).toBeGreaterThan(1_900);
    console.log(`[service-workspaces] streamed exec on a stopped workspace: first chunk after ${seen[0]!.at.toFixed(0)} ms (start included), exit ${(seen[2]!.at - seen[0]!.at).toFixed(0)} ms later`);
    expect((await admin.getWorkspace("io")).state).toBe("running");

    // One file in and out (binary-safe), on a stopped workspace again.
    await admin.stopWorkspace("io");
    const binary = Buffer.from([0, 1, 2, 255, 10, 0, 42]);
    await admin.workspacePutFile("io", "/workspace/in/data.bin", binary);
    expect((await admin.getWorkspace("io")).state).toBe("running");
    expect(await admin.workspaceGetFile("io", "/workspace/in/data.bin")).toEqual(binary);
    await expect(admin.workspaceGetFile("io", "/workspace/nope")).rejects.toMatchObject({ status: 404, code: "NOT_FOUND" });

    // A directory as tar, out and (after a stop) back in elsewhere; the host's tar reads it.
    await admin.workspaceExec("io", { argv: ["sh", "-c", "mkdir -p src/sub && echo one > src/a.txt && echo two > src/sub/b.txt"] });
    const tar = await admin.workspaceGetArchive("io", "/workspace/src");
    const tarFile = join(service.dir, "io-src.tar");
    writeFileSync(tarFile, tar);
    expect(execFileSync("tar", ["-tf", tarFile], { encoding: "utf8" }).split("\n")).toEqual(expect.arrayContaining(["./a.txt", "./sub/b.txt"]));
    await admin.stopWorkspace("io");
    await admin.workspacePutArchive("io", "/workspace/copy", tar);
    expect((await admin.workspaceExec("io", { argv: ["cat", "copy/a.txt", "copy/sub/b.txt"] })).stdout).toBe("one\ntwo\n");

    // The shell on a stopped workspace: a PTY of the asked size, in /workspace, its exit code; it counts as activity.
    await admin.stopWorkspace("io");
    const before = Date.parse((await admin.getWorkspace("io")).lastActivityAt);
    const c = admin.workspaceShellConnection("io", 101, 37);
    const socket = new WebSocket(c.url, { headers: c.headers, ca: c.ca });
    const messages: ShellServerMessage[] = [];
    socket.on("message", (raw) => messages.push(JSON.parse(raw.toString())));
    const closed = new Promise<void>((resolve) => socket.once("close", () => resolve()));
    await new Promise<void>((resolve, reject) => (socket.once("open", () => resolve()), socket.once("error", reject)));
    socket.send(JSON.stringify({ type: "stdin", data: "stty size; pwd; exit 5\n" }));
    await closed;
    const output = messages.filter((m) => m.type === "stdout").map((m) => (m as { data: string }).data).join("");
    expect(output).toContain("37 101");
    expect(output).toContain("/workspace");
    expect(messages.at(-1)).toEqual({ type: "exit", exitCode: 5 });
    expect(Date.parse((await admin.getWorkspace("io")).lastActivityAt)).toBeGreaterThan(before);

    // The same through the CLI: exec streams, shell with piped stdin, cp in and out.
    const env = { ...process.env, SANDFLEET_API_KEY: service.key, SANDFLEET_API_CA: service.caFile };
    const cli = (args: string[], input?: string) => spawnSync(process.execPath, [CLI, "workspaces", ...args], { encoding: "utf8", timeout: 120_000, env, ...(input ? { input } : {}) });
    const shell = cli(["shell", "io", "--cols", "90", "--rows", "30", "--api", service.url], "stty size\nexit 3\n");
    expect(shell.status, shell.stderr).toBe(3);
    expect(shell.stdout).toContain("30 90");
    const local = join(service.dir, "local.txt");
    writeFileSync(local, "from the laptop\n");
    expect(cli(["cp", "io", local, ":/workspace/notes/l.txt", "--api", service.url]).status).toBe(0);
    expect(exec("io", ["cat", "notes/l.txt"]).stdout).toBe("from the laptop\n");
    const back = join(service.dir, "back.txt");
    expect(cli(["cp", "io", ":/workspace/notes/l.txt", back, "--api", service.url]).status).toBe(0);
    expect(readFileSync(back, "utf8")).toBe("from the laptop\n");
    // A directory, in and out, through the archive routes: its contents go into the target, created if missing.
    const tree = join(service.dir, "tree");
    mkdirSync(join(tree, "deep/er"), { recursive: true });
    writeFileSync(join(tree, "top.txt"), "top\n");
    writeFileSync(join(tree, "deep/er/low.bin"), Buffer.from([0, 255, 10]));
    const dirIn = cli(["cp", "io", tree, ":/workspace/tree-in", "--api", service.url]);
    expect(dirIn.status, dirIn.stderr).toBe(0);
    expect(dirIn.stderr).toMatch(/^copied directory .*tree \(\d+ bytes of tar\) into io:\/workspace\/tree-in\n$/);
    expect(exec("io", ["sh", "-c", "cat tree-in/top.txt; od -An -tx1 tree-in/deep/er/low.bin | tr -d ' \\n'"]).stdout).toBe("top\n00ff0a");
    const treeOut = join(service.dir, "tree-out/nested");
    expect(cli(["cp", "io", ":/workspace/src", treeOut, "--api", service.url]).status).toBe(0);
    expect(readFileSync(join(treeOut, "a.txt"), "utf8")).toBe("one\n");
    expect(readFileSync(join(treeOut, "sub/b.txt"), "utf8")).toBe("two\n");
    const missing = cli(["cp", "io", ":/workspace/nothing-here", join(service.dir, "x"), "--api", service.url]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("io:/workspace/nothing-here is neither a file nor a directory in the workspace");

    // Another key: 404 on every one of these routes, the shell before its upgrade; nothing written.
    const other = new SandboxApiClient({ url: service.url, key: otherKey, ca: service.ca });
    try {
      const notFound = { status: 404, code: "WORKSPACE_NOT_FOUND" };
      const stream = async () => {
        for await (const _ of other.workspaceExecStream("io", { argv: ["true"] })) void _;
      };
      await expect(stream()).rejects.toMatchObject(notFound);
      await expect(other.workspaceExec("io", { argv: ["true"] })).rejects.toMatchObject(notFound);
      await expect(other.workspacePutFile("io", "/workspace/x", "x")).rejects.toMatchObject(notFound);
      await expect(other.workspaceGetFile("io", "/workspace/in/data.bin")).rejects.toMatchObject(notFound);
      await expect(other.workspacePutArchive("io", "/workspace/y", tar)).rejects.toMatchObject(notFound);
      await expect(other.workspaceGetArchive("io", "/workspace/src")).rejects.toMatchObject(notFound);
      const oc = other.workspaceShellConnection("io");
      const refused = new WebSocket(oc.url, { headers: oc.headers, ca: oc.ca });
      const status = await new Promise<number>((resolve, reject) => (refused.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0)), refused.once("open", () => reject(new Error("upgraded")))));
      expect(status).toBe(404);
    } finally {
      other.close();
    }
    expect((await admin.workspaceExec("io", { argv: ["sh", "-c", "test -e /workspace/x || echo no-x; test -e /workspace/y || echo no-y"] })).stdout).toBe("no-x\nno-y\n");

    const { DatabaseSync } = require("node:sqlite") as typeof import("node:sqlite");
    const db = new DatabaseSync(join(service.dir, "data", "service.db"), { readOnly: true });
    try {
      const rows = db.prepare("SELECT route, status FROM audit_log WHERE workspace_id = ?").all(created.id) as { route: string; status: number }[];
      const routes = rows.map((r) => r.route);
      for (const route of ["/v1/workspaces/:name/exec/stream", "/v1/workspaces/:name/files", "/v1/workspaces/:name/archive"]) expect(routes).toContain(route);
      // One row per shell session (the API's and the CLI's), written when it ends.
      expect(rows.filter((r) => r.route === "/v1/workspaces/:name/shell")).toEqual([
        { route: "/v1/workspaces/:name/shell", status: 101 },
        { route: "/v1/workspaces/:name/shell", status: 101 },
      ]);
    } finally {
      db.close();
    }
    await admin.deleteWorkspace("io");
  });

  it("snapshot to a file, delete, restore into a new workspace, read it back; the audit log names the workspace", async () => {
    const tarFile = join(service.dir, "proj.tar");
    const snap = sandfleet(["snapshot", "proj", "--out", tarFile]);
    expect(snap.status, snap.stderr).toBe(0);
    const tarList = spawnSync("tar", ["-tf", tarFile], { encoding: "utf8" }).stdout;
    expect(tarList).toContain("workspace/f.txt");
    expect(sandfleet(["delete", "proj"]).stdout).toBe("deleted proj\n");
    expect(exec("proj", ["true"]).stderr).toContain("HTTP 404");
    const restored = sandfleet(["restore", "proj-copy", "--from", tarFile, "--quota-gb", "0"]);
    expect(restored.status, restored.stderr).toBe(0);
    expect(exec("proj-copy", ["cat", "f.txt"]).stdout).toBe("persisted\n");
    expect(sandfleet(["delete", "proj-copy"]).status).toBe(0);
    const volumes = (await daemons[0]!.docker.listVolumes({ filters: { label: ["dev.sandfleet.workspace"] } })).Volumes ?? [];
    expect(volumes).toEqual([]);

    const { DatabaseSync } = require("node:sqlite") as typeof import("node:sqlite");
    const db = new DatabaseSync(join(service.dir, "data", "service.db"), { readOnly: true });
    try {
      const rows = db.prepare("SELECT route, workspace_id, endpoint_id, status FROM audit_log WHERE route LIKE '/v1/workspaces%' AND workspace_id IS NOT NULL").all() as { route: string; endpoint_id: string }[];
      expect(rows.map((r) => r.route)).toEqual(expect.arrayContaining(["/v1/workspaces", "/v1/workspaces/:name/exec", "/v1/workspaces/:name/snapshot", "/v1/workspaces/restore"]));
      expect(rows.every((r) => r.endpoint_id === "test-swa")).toBe(true);
    } finally {
      db.close();
    }
  });
});
