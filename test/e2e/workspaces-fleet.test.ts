/**
 * End to end: persistent workspaces on the local fleet's workspace host, whose dockerd remaps user namespaces
 * (`userns-remap`, docs/security.md) and runs containers under gVisor, reached over mutual TLS like a cloud server.
 * The runtime library (Workspaces on a Pool) creates a workspace, writes a file, stops it, starts it, reads the file
 * back; then the host reboots (its container restarted) and the file is read back again, by a fresh container on
 * the same volume. The host side is checked as well: the file belongs to the remapped workspace user, and runsc's
 * gofer and sandbox run as the remapped root without any supplementary group (cloud-init/gvisor.ts says why).
 *
 * Disk quotas are the host's (cloud-init/workspace-disks.ts): each workspace's volume binds a directory of its own
 * ext4 image, loop-mounted on the host. A workspace that writes past its quota gets ENOSPC, its neighbour on the same
 * host still writes, and the host's disks barely move; the image is mounted again at boot, before dockerd, so the data
 * is there after the reboot; delete removes image, mount and loop device, keepData keeps them.
 *
 * The pool dials the host at its private address and 2376, as the platform does (platformRegistry): a reboot keeps
 * that address, while the engine's published loopback port changes when the test host's container restarts.
 *
 * Run alone with: flock /tmp/sf/e2e.lock npx vitest run test/e2e/workspaces-fleet.test.ts
 */
import { execFileSync } from "node:child_process";
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
  /** The size of the file that filled the quota'd workspace (read back after the reboot). */
  let fillBytes = 0;

  const inHost = async (script: string) => {
    const result = await execInContainer(docker.getContainer(host.containerId), ["sh", "-c", script], { timeoutMs: 60_000 });
    expect(result.exitCode, `${script}\n${result.stderr}`).toBe(0);
    return result.stdout.trim();
  };
  const endpointState = () => Object.values(pool!.status().byEndpoint)[0]?.state;
  /** The workspace's files on the host: the `data` directory of its disk image's mount (the volume binds it). */
  const volumeData = (id = workspaceId) => `/var/lib/sandfleet/workspace-mounts/${id}/data`;
  const diskImage = (id: string) => `/var/lib/docker/sandfleet-workspace-disks/${id}.img`;
  /** Loop devices of this machine's kernel backed by a workspace image (shared by every test host: must end empty). */
  const machineLoops = () => execFileSync("losetup", ["--list", "--noheadings", "--output", "NAME,BACK-FILE"], { encoding: "utf8" }).split("\n").filter((l) => l.includes("sandfleet-workspace-disks"));
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
    for (const name of ["notes", "plain", "filler", "kept"]) await workspaces?.delete("alice", name).catch(() => undefined);
    await workspaces?.close().catch(() => undefined);
    await pool?.close().catch(() => undefined);
    if (fleet) await downFleet({ fleet: FLEET, stateDir, docker }).catch(() => undefined);
    else await removeFleetResources(docker, FLEET).catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
    // The host's mounts went with its container; their loop devices (the machine's) detached themselves.
    expect(machineLoops()).toEqual([]);
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

  it("enforces the quota on the host: writing past it gets ENOSPC, a neighbour still writes, the host's disks barely move", async () => {
    // What the host disk costs a create and a delete: a plain volume's first, then the quota'd one's.
    let t = Date.now();
    await workspaces!.create({ name: "plain", owner: "alice", quotaGb: 0, labels: {} }, { start: false });
    const plainCreateMs = Date.now() - t;
    t = Date.now();
    await workspaces!.delete("alice", "plain");
    const plainDeleteMs = Date.now() - t;
    t = Date.now();
    const filler = await workspaces!.create({ name: "filler", owner: "alice", quotaGb: 1 }, { start: false });
    progress.info(`create (no start): quotaGb 0 ${plainCreateMs} ms, quotaGb 1 ${Date.now() - t} ms; delete of the plain one ${plainDeleteMs} ms`);
    const mount = volumeData(filler.id).replace(/\/data$/, "");
    expect(await inHost(`findmnt -n -o FSTYPE,OPTIONS ${mount}`)).toMatch(/^ext4\s+rw,nosuid,nodev,.*discard/);
    const size = Number(await inHost(`df -B1 --output=size ${mount} | tail -n 1`));
    expect(size).toBeGreaterThan(900 * 2 ** 20);
    expect(size).toBeLessThanOrEqual(2 ** 30);

    const started = Date.now();
    const fill = await workspaces!.exec("alice", "filler", ["sh", "-c", "dd if=/dev/zero of=fill bs=1M count=1536; echo dd-exit=$?"], { timeoutMs: 240_000 });
    progress.info(`dd past a 1 GiB quota under gVisor: ${((Date.now() - started) / 1000).toFixed(1)} s`);
    expect(fill.stdout).toMatch(/dd-exit=1\n$/);
    expect(fill.stderr).toMatch(/No space left on device/);
    const written = Number(await inHost(`stat -c %s ${volumeData(filler.id)}/fill`));
    fillBytes = written;
    expect(written).toBeGreaterThan(900 * 2 ** 20);
    expect(written).toBeLessThanOrEqual(2 ** 30);
    const inspectStarted = Date.now();
    const inspected = await workspaces!.inspect("alice", "filler");
    progress.info(`inspect of a quota'd workspace (its filesystem's df through the helper): ${Date.now() - inspectStarted} ms`);
    expect(inspected.diskUsedBytes).toBeGreaterThan(900 * 2 ** 20);

    // The full workspace cannot write 8 MiB more (a few blocks may be left over from dd's last write); its neighbour
    // on the same host can.
    const more = await workspaces!.exec("alice", "filler", ["sh", "-c", "dd if=/dev/zero of=more bs=1M count=8"]);
    expect(more.exitCode).not.toBe(0);
    expect(more.stderr).toMatch(/No space left on device/);
    const neighbour = await workspaces!.exec("alice", "notes", ["sh", "-c", "dd if=/dev/zero of=neighbour bs=1M count=20 2>&1 && cat note.txt"]);
    expect(neighbour, neighbour.stderr).toMatchObject({ exitCode: 0 });
    expect(neighbour.stdout).toMatch(/hello\n$/);

    // The root disk did not take the data (du -x stays off the mounted images; the mount points hold nothing), and
    // the data volume holds the image, which is sparse and no larger than the quota and its metadata.
    expect(Number(await inHost("du -sxB1 /var/lib/sandfleet/workspace-mounts | cut -f1"))).toBeLessThan(1 * 2 ** 20);
    const imageBytes = Number(await inHost(`du -B1 ${diskImage(filler.id)} | cut -f1`));
    expect(imageBytes).toBeGreaterThanOrEqual(written);
    expect(imageBytes).toBeLessThan(2 ** 30 + 64 * 2 ** 20);

    // Survives stop and start: the file is still there, the disk still full.
    await workspaces!.stop("alice", "filler");
    const again = await workspaces!.exec("alice", "filler", ["sh", "-c", "stat -c %s fill; df -k . | tail -n 1"]);
    expect(again.stdout.split("\n")[0]).toBe(String(written));
    // Inside, `df /workspace` is the workspace's own filesystem: its quota, not the host's disk.
    const kBlocks = Number(again.stdout.split("\n")[1]?.trim().split(/\s+/)[1]);
    expect(kBlocks).toBeGreaterThan(900 * 1024);
    expect(kBlocks).toBeLessThanOrEqual(1024 * 1024);
  }, 300_000);

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

    // The boot unit mounted both images before dockerd; the full workspace is still full.
    expect(await inHost("systemctl is-active sandfleet-workspace-disks.service")).toBe("active");
    expect(await inHost("findmnt -n -o FSTYPE -T /var/lib/sandfleet/workspace-mounts/" + workspaceId)).toBe("ext4");
    const filler = workspaces!.get("alice", "filler");
    const full = await workspaces!.exec("alice", "filler", ["sh", "-c", "stat -c %s fill && dd if=/dev/zero of=more2 bs=1M count=8"]);
    expect(full.stdout).toBe(`${fillBytes}\n`);
    expect(full.exitCode).not.toBe(0);
    expect(full.stderr).toMatch(/No space left on device/);
    expect(await inHost(`test -f ${diskImage(filler.id)} && echo present`)).toBe("present");
  }, 180_000);

  it("delete removes the image, its mount and loop device; keepData keeps them for a reconcile to adopt", async () => {
    const filler = workspaces!.get("alice", "filler");
    const t = Date.now();
    await workspaces!.delete("alice", "filler");
    progress.info(`delete of a quota'd workspace (running; container, volume, disk): ${Date.now() - t} ms`);
    expect(await inHost(`test -e ${diskImage(filler.id)} || echo gone; findmnt -n ${volumeData(filler.id).replace(/\/data$/, "")} || echo unmounted; losetup --list --noheadings | grep -c ${filler.id} || true`)).toBe("gone\nunmounted\n0");

    const kept = await workspaces!.create({ name: "kept", owner: "alice", quotaGb: 1 });
    await workspaces!.exec("alice", "kept", ["sh", "-c", "echo still > k.txt"]);
    await workspaces!.delete("alice", "kept", { keepData: true });
    expect(await inHost(`cat ${volumeData(kept.id)}/k.txt`)).toBe("still");
    const report = await workspaces!.reconcile();
    expect(report.fixes).toEqual([expect.objectContaining({ workspaceId: kept.id, action: "adopted-volume" })]);
    const read = await workspaces!.exec("alice", "kept", ["cat", "k.txt"]);
    expect(read, read.stderr).toMatchObject({ exitCode: 0, stdout: "still\n" });
    await workspaces!.delete("alice", "kept");
    expect(await inHost(`test -e ${diskImage(kept.id)} || echo gone`)).toBe("gone");
  }, 120_000);
});
