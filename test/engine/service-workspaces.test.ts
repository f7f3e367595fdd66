/**
 * Persistent workspaces through the sandbox service as users reach it: `sandfleet workspaces ... --api URL`
 * (bin/sandfleet.js) and the typed client over real HTTPS, against the `sandfleet-service` process in front of a
 * real dockerd with mTLS, containers under gVisor. Files survive stop/start and a service restart; two keys
 * (tenants) never see or touch each other's workspaces; snapshot, delete, restore into a new workspace.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SandboxApiClient } from "../../runtime/index";
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
    const created = sandfleet(["create", "proj", "--quota-gb", "3", "--label", "team=blue"]);
    expect(created.status, created.stderr).toBe(0);
    expect(created.stdout).toMatch(/^proj running on test-swa \(data at \/workspace\)/);
    const write = exec("proj", ["sh", "-c", "echo persisted > f.txt; uname -r"]);
    expect(write.stdout).toBe("4.4.0\n");
    expect(write.status).toBe(0);
    expect(sandfleet(["stop", "proj"]).stdout).toBe("proj stopped\n");
    expect(sandfleet(["list"]).stdout).toMatch(/proj\s+stopped\s+test-swa\s+default\s+3\s/);
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
      expect(info).toMatchObject({ state: "stopped", endpointId: "test-swa", quotaGb: 3, labels: { team: "blue" } });
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
    expect(sandfleet(["create", "proj"], otherKey).status).toBe(0);
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

  it("snapshot to a file, delete, restore into a new workspace, read it back; the audit log names the workspace", async () => {
    const tarFile = join(service.dir, "proj.tar");
    const snap = sandfleet(["snapshot", "proj", "--out", tarFile]);
    expect(snap.status, snap.stderr).toBe(0);
    const tarList = spawnSync("tar", ["-tf", tarFile], { encoding: "utf8" }).stdout;
    expect(tarList).toContain("workspace/f.txt");
    expect(sandfleet(["delete", "proj"]).stdout).toBe("deleted proj\n");
    expect(exec("proj", ["true"]).stderr).toContain("HTTP 404");
    const restored = sandfleet(["restore", "proj-copy", "--from", tarFile]);
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
