/**
 * End to end: certificate rotation on the local fleet (one workspace test host), the local counterpart of
 * bumping `sandfleet:tls.epoch` and running `pulumi up`. A long-running gVisor container is started, the
 * certs are re-issued from the same CA and the same post-boot script is re-run over SSH (local/rotate-tls.ts),
 * then: the container still runs with the same id and start time (live-restore across the dockerd restart),
 * the daemon presents a new server cert, the new client cert works, and the registry file has it.
 *
 * Without a reachable engine and without CI these tests skip with a message; with CI set they must run.
 * Run alone with: npx vitest run test/e2e/tls-rotation.test.ts
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls, { type PeerCertificate } from "node:tls";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { IssuedCert } from "../../components/tls/local-issuer";
import { createPool, type Pool, type Sandbox } from "../../runtime/index";
import { readRegistryFile, type EndpointRegistry } from "../../runtime/registry/schema";
import { execInContainer } from "../../local/container-exec";
import { runDoctor } from "../../local/doctor";
import { downFleet, type FleetHost, type LocalFleet, upFleet } from "../../local/fleet";
import { removeFleetResources } from "../../local/hosts";
import { fleetLabels } from "../../local/labels";
import { rotateFleetTls, type RotatedTls } from "../../local/rotate-tls";
import { LOCAL_SANDBOX_IMAGE } from "../../local/sandbox-image";
import { skipWithoutLocalEngine, taggedProgress } from "../support/local-engine";

const FLEET = "rotate";
const SUBNET = "10.213.7.0/24";

const skip = skipWithoutLocalEngine("TLS rotation end-to-end tests", "test/e2e/tls-rotation.test.ts");
const progress = taggedProgress("rotation");

/** The certificate the daemon presents on its TLS port, read with a client cert (the daemon requires one). */
function presentedCert(host: FleetHost, ca: string, client: IssuedCert): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: "127.0.0.1", port: host.dockerPort, servername: host.name, ca, cert: client.certPem, key: client.keyPem }, () => {
      const cert = socket.getPeerCertificate();
      socket.end();
      resolve(cert);
    });
    socket.setTimeout(15_000, () => socket.destroy(new Error(`TLS handshake with ${host.name} timed out`)));
    socket.on("error", reject);
  });
}

describe.skipIf(skip)("rotating the local fleet's Docker TLS certificates", () => {
  const docker = new Docker();
  // downFleet removes the state directory itself; its temporary parent is this test's to remove.
  const scratch = mkdtempSync(join(tmpdir(), "sandfleet-rotation-"));
  const stateDir = join(scratch, "state");
  let fleet: LocalFleet;
  let host: FleetHost;
  let rotation: RotatedTls;
  /** A pool built from the registry as it was before the rotation, with one sandbox leased across it. */
  let pool: Pool;
  let leased: Sandbox;
  const before = {} as { containerId: string; startedAt: string; serial: string; dockerdPid: string; registry: EndpointRegistry };

  const clientFor = (client: IssuedCert) =>
    new Docker({ host: "127.0.0.1", port: host.dockerPort, protocol: "https", ca: fleet.tls.ca.certPem, cert: client.certPem, key: client.keyPem });
  const dockerdPid = async () => {
    const shown = await execInContainer(docker.getContainer(host.containerId), ["systemctl", "show", "-p", "MainPID", "--value", "docker.service"], { timeoutMs: 30_000 });
    return shown.stdout.trim();
  };

  beforeAll(async () => {
    await removeFleetResources(docker, FLEET);
    const booted = Date.now();
    fleet = await upFleet({ fleet: FLEET, subnet: SUBNET, workspaces: 1, platforms: 0, stateDir, docker, progress });
    console.log(`[rotation] fleet up in ${((Date.now() - booted) / 1000).toFixed(1)} s`);
    host = fleet.hosts[0];

    // A long-running sandbox-like container, started through the TLS API with the original client cert.
    const container = await clientFor(fleet.tls.client).createContainer({
      Image: LOCAL_SANDBOX_IMAGE,
      Cmd: ["sleep", "3600"],
      Labels: fleetLabels(FLEET),
      HostConfig: { NetworkMode: "none" },
    });
    await container.start();
    const inspected = await container.inspect();
    before.containerId = inspected.Id;
    before.startedAt = inspected.State.StartedAt;
    before.serial = (await presentedCert(host, fleet.tls.ca.certPem, fleet.tls.client)).serialNumber;
    before.dockerdPid = await dockerdPid();
    before.registry = await readRegistryFile(fleet.registryPath);

    pool = await createPool({ registry: before.registry, poolId: "rotation", minIdle: 0, profiles: { default: { image: LOCAL_SANDBOX_IMAGE } } });
    leased = await pool.acquire({ timeoutMs: 120_000 });
    const warm = await leased.exec(["sh", "-c", "echo kept > /tmp/state; cat /tmp/state"], { timeoutMs: 30_000 });
    expect(warm.stdout.trim()).toBe("kept");

    rotation = await rotateFleetTls(fleet, { progress });
    console.log(`[rotation] ROTATION TIME: ${(rotation.durationMs / 1000).toFixed(1)} s (${rotation.hosts.map((h) => `${h.host} post-boot ${(h.durationMs / 1000).toFixed(1)} s`).join(", ")})`);
  }, 900_000);

  afterAll(async () => {
    await leased?.release().catch(() => undefined);
    await pool?.close().catch(() => undefined);
    await downFleet({ fleet: FLEET, stateDir, docker }).catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  });

  it("restarted dockerd on the host (so the checks below are about a real restart)", async () => {
    const pid = await dockerdPid();
    expect(pid).toMatch(/^[1-9]\d*$/);
    expect(pid).not.toBe(before.dockerdPid);
  });

  it("keeps the running container alive across the restart: same id, same start time, still answering", async () => {
    expect(before.containerId).toMatch(/^[0-9a-f]{64}$/);
    const container = clientFor(rotation.tls.client).getContainer(before.containerId);
    const inspected = await container.inspect();
    expect(inspected.Id).toBe(before.containerId);
    expect(inspected.State.Running).toBe(true);
    expect(inspected.State.StartedAt).toBe(before.startedAt);
    expect(inspected.RestartCount).toBe(0);
    expect(inspected.HostConfig.Runtime).toBe("runsc");
    const alive = await execInContainer(container, ["uname", "-r"], { timeoutMs: 30_000 });
    expect(alive.exitCode).toBe(0);
    expect(alive.stdout.trim()).toBe("4.4.0");
  });

  it("presents a new server certificate on the TLS port, issued by the same CA for the same name", async () => {
    const presented = await presentedCert(host, rotation.tls.ca.certPem, rotation.tls.client);
    expect(presented.serialNumber).toBeTruthy();
    expect(presented.serialNumber).not.toBe(before.serial);
    expect(presented.subject.CN).toBe(host.name);
    expect(presented.subjectaltname).toContain(`DNS:${host.name}`);
    expect(rotation.tls.ca.certPem).toBe(fleet.tls.ca.certPem);
  });

  it("accepts the new client certificate, and the old one until it expires (same CA, so no pool is locked out mid-rotation)", async () => {
    expect(rotation.tls.client.certPem).not.toBe(fleet.tls.client.certPem);
    expect((await clientFor(rotation.tls.client).info()).DefaultRuntime).toBe("runsc");
    expect((await clientFor(fleet.tls.client).ping()).toString()).toBe("OK");
  });

  it("rewrites the registry file with the new client cert and key, same CA and endpoints, still mode 0600", async () => {
    const after = await readRegistryFile(fleet.registryPath);
    expect(after.tls.clientCert).not.toBe(before.registry.tls.clientCert);
    expect(after.tls.clientKey).not.toBe(before.registry.tls.clientKey);
    expect(after.tls.clientCert).toBe(rotation.tls.client.certPem);
    expect(after.tls.ca).toBe(before.registry.tls.ca);
    expect(after.endpoints).toEqual(before.registry.endpoints);
    expect(statSync(fleet.registryPath).mode & 0o777).toBe(0o600);
  });

  it("keeps a pool built before the rotation working: its leased sandbox re-attaches and still execs, and new sandboxes come up", async () => {
    // The container survives (live-restore); dockerd's restart cuts the attach stream the pool's shell channel
    // runs on, and the session re-attaches to the still-running shell, so the same sandbox keeps working.
    const inspected = await clientFor(rotation.tls.client).getContainer(leased.id).inspect();
    expect(inspected.State.Running).toBe(true);
    const result = await leased.exec(["cat", "/tmp/state"], { timeoutMs: 30_000 });
    expect(result.exitCode).toBe(0);
    expect(result.stdout.trim()).toBe("kept");
    // The pool still holds the old client cert: the same CA keeps it valid, so it goes on placing sandboxes.
    const fresh = await pool.acquire({ timeoutMs: 120_000 });
    try {
      const uname = await fresh.exec(["uname", "-r"], { timeoutMs: 30_000 });
      expect(uname.stdout.trim()).toBe("4.4.0");
    } finally {
      await fresh.release();
    }
  });

  it("has sandfleet doctor pass on the rotated registry", async () => {
    const doctor = await runDoctor(fleet.registryPath);
    expect(doctor.exitCode, doctor.output).toBe(0);
  }, 120_000);
});
