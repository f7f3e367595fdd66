/**
 * End to end: persistent workspaces on the local fleet's workspace host, whose dockerd remaps user namespaces
 * (`userns-remap`, docs/security.md) and runs containers under gVisor, reached over mutual TLS like a cloud server.
 * The runtime library (Workspaces on a Pool) creates a workspace, writes a file, stops it, starts it, reads the file
 * back; then the host reboots (its container restarted) and the file is read back again, by a fresh container on
 * the same volume. The host side is checked as well: the file belongs to the remapped workspace user, and runsc's
 * gofer and sandbox run as the remapped root without any supplementary group (cloud-init/gvisor.ts says why).
 *
 * The pool dials the host at its private address and 2376, as the platform does (platformRegistry): a reboot keeps
 * that address, while the engine's published loopback port changes when the test host's container restarts.
 *
 * Run alone with: flock /tmp/sf/e2e.lock npx vitest run test/e2e/workspaces-fleet.test.ts
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPool, Workspaces, WORKSPACE_LABELS } from "../../runtime/index";
import type { Pool } from "../../runtime/index";
import { execInContainer } from "../../local/container-exec";
import { downFleet, FleetHost, LocalFleet, upFleet } from "../../local/fleet";
import { removeFleetResources } from "../../local/hosts";
import { platformRegistry } from "../../local/registry-file";
import { LOCAL_SANDBOX_IMAGE } from "../../local/sandbox-image";
import { skipWithoutLocalEngine, taggedProgress } from "../support/local-engine";
import { waitFor } from "../support/wait-for";

const FLEET = "sf-wsfleet";
const SUBNET = "10.213.41.0/24";
/** dockremap's subordinate range on Debian (/etc/subuid): container UID 0 is host UID 165536. */
const REMAP_BASE = 165536;
/** The profile's default user (65534:65534), as the host sees it under the remap. */
const WORKSPACE_HOST_UID = REMAP_BASE + 65534;

const skip = skipWithoutLocalEngine("workspaces-on-the-fleet end-to-end tests", "test/e2e/workspaces-fleet.test.ts");
const progress = taggedProgress("ws-fleet");

describe.skipIf(skip)("persistent workspaces on a userns-remapped workspace host of the local fleet", () => {
  const docker = new Docker();
  const scratch = mkdtempSync(join(tmpdir(), "sf-wsfleet-e2e-"));
  const stateDir = join(scratch, "state");
  let fleet: LocalFleet | undefined;
  let host: FleetHost;
  let pool: Pool | undefined;
  let workspaces: Workspaces | undefined;
  let workspaceId = "";

  const inHost = async (script: string) => {
    const result = await execInContainer(docker.getContainer(host.containerId), ["sh", "-c", script], { timeoutMs: 60_000 });
    expect(result.exitCode, `${script}\n${result.stderr}`).toBe(0);
    return result.stdout.trim();
  };
  const endpointState = () => Object.values(pool!.status().byEndpoint)[0]?.state;
  const volumeData = () => `/var/lib/docker/${REMAP_BASE}.${REMAP_BASE}/volumes/sandfleet-ws-${workspaceId}/_data`;
  const workspaceContainers = () => inHost(`docker ps -a --filter label=${WORKSPACE_LABELS.id}=${workspaceId} --filter label=${WORKSPACE_LABELS.role}=run --format '{{.State}}'`);

  beforeAll(async () => {
    await removeFleetResources(docker, FLEET);
    fleet = await upFleet({ fleet: FLEET, subnet: SUBNET, workspaces: 1, platforms: 0, stateDir, docker, progress });
    host = fleet.hosts[0]!;
    pool = await createPool({
      registry: platformRegistry(fleet.registry, [host]),
      poolId: "ws-fleet",
      minIdle: 0,
      profiles: { default: { image: LOCAL_SANDBOX_IMAGE } },
      healthIntervalMs: 1_000,
      healthTimeoutMs: 800,
      // How long a cut shell channel may take to come back (a dockerd restart with live-restore); a reboot kills
      // the container, so the session is broken after this and the workspace reads as stopped.
      endpointOutageGraceMs: 10_000,
    });
    workspaces = new Workspaces(pool, { idleStopMs: 0 });
    await workspaces.start();
  }, 240_000);

  afterAll(async () => {
    await workspaces?.delete("alice", "notes").catch(() => undefined);
    await workspaces?.close().catch(() => undefined);
    await pool?.close().catch(() => undefined);
    if (fleet) await downFleet({ fleet: FLEET, stateDir, docker }).catch(() => undefined);
    else await removeFleetResources(docker, FLEET).catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  }, 120_000);

  it("runs the workspace under gVisor on the remapped engine: a file written, stopped, started, read back", async () => {
    expect(await inHost("docker info --format '{{json .SecurityOptions}}'")).toContain("name=userns");

    const created = await workspaces!.create({ name: "notes", owner: "alice", quotaGb: 1 });
    workspaceId = created.id;
    expect(created).toMatchObject({ state: "running", mountPath: "/workspace" });
    const write = await workspaces!.exec("alice", "notes", ["sh", "-c", "pwd; id -u; uname -r; echo hello > note.txt"]);
    expect(write, write.stderr).toMatchObject({ exitCode: 0, stdout: "/workspace\n65534\n4.4.0\n" });

    // On the host: the file is the remapped workspace user's, and runsc's processes hold no host group.
    expect(await inHost(`stat -c '%u:%g %s' ${volumeData()}/note.txt`)).toBe(`${WORKSPACE_HOST_UID}:${WORKSPACE_HOST_UID} 6`);
    const runscProcesses = await inHost(
      `for p in $(pgrep -f '^runsc-(gofer|sandbox) '); do printf '%s uid=%s groups=[%s]\\n' "$(tr '\\0' ' ' < /proc/$p/cmdline | cut -d' ' -f1)" "$(awk '/^Uid:/ {print $2}' /proc/$p/status)" "$(awk '/^Groups:/ {$1=""; print $0}' /proc/$p/status | xargs)"; done | sort -u`,
    );
    expect(runscProcesses.split("\n")).toEqual([`runsc-gofer uid=${REMAP_BASE} groups=[]`, `runsc-sandbox uid=${REMAP_BASE} groups=[]`]);

    expect((await workspaces!.stop("alice", "notes")).state).toBe("stopped");
    expect(await workspaceContainers()).toBe("");
    expect(await inHost(`cat ${volumeData()}/note.txt`)).toBe("hello");

    expect((await workspaces!.startWorkspace("alice", "notes")).state).toBe("running");
    const read = await workspaces!.exec("alice", "notes", ["cat", "note.txt"]);
    expect(read, read.stderr).toMatchObject({ exitCode: 0, stdout: "hello\n" });
  });

  it("keeps the data over a reboot of the host: the workspace comes back stopped and its next exec reads the file", async () => {
    expect(await workspaceContainers()).toBe("running");
    const rebootStarted = Date.now();
    await docker.getContainer(host.containerId).restart({ t: 20 });
    await waitFor(() => endpointState() === "unresponsive", 30_000).catch(() => undefined); // the pool may miss a short outage
    await waitFor(() => endpointState() === "ready", 90_000);
    progress.info(`reboot: the host's engine answered again after ${((Date.now() - rebootStarted) / 1000).toFixed(1)} s`);

    // The container did not survive the reboot; the data did.
    await waitFor(async () => (await workspaces!.inspect("alice", "notes")).state === "stopped", 45_000);
    expect(await inHost(`cat ${volumeData()}/note.txt`)).toBe("hello");

    const firstExec = Date.now();
    const read = await workspaces!.exec("alice", "notes", ["sh", "-c", "cat note.txt; id -u"]);
    expect(read, read.stderr).toMatchObject({ exitCode: 0, stdout: "hello\n65534\n" });
    progress.info(`after the reboot: stopped -> first exec output in ${Date.now() - firstExec} ms`);
    expect(await workspaceContainers()).toBe("running");
    expect((await workspaces!.inspect("alice", "notes")).state).toBe("running");
  });
});
