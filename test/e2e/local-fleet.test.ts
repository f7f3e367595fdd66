/**
 * End to end: the local fleet (test hosts = systemd + cloud-init containers on the local Docker engine),
 * booted from the very user-data the cloud path renders, with the same post-boot TLS step, registry, doctor
 * and pool. Needs a Docker engine (root for debootstrap when no registry is reachable).
 *
 * Without a reachable engine and without CI these tests skip with a message; with CI set they must run.
 * Run alone with: npx vitest run test/e2e/local-fleet.test.ts
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueDockerTls } from "../../components/tls/local-issuer";
import { createPool } from "../../runtime/index";
import type { Endpoint } from "../../runtime/registry/schema";
import { execInContainer } from "../../local/container-exec";
import { runDoctor } from "../../local/doctor";
import { downFleet, FleetHost, LOCAL_ADMIN_USER, LocalFleet, upFleet } from "../../local/fleet";
import { removeFleetResources } from "../../local/hosts";
import { fleetFilter, fleetLabels } from "../../local/labels";
import { LOCAL_SANDBOX_IMAGE } from "../../local/sandbox-image";
import { offeredAuthMethods } from "../../local/ssh";
import { skipWithoutLocalEngine, taggedProgress } from "../support/local-engine";
import { readableUserData } from "../support/cloud-init-files";

const FLEET = "e2e";
const SUBNET = "10.213.1.0/24";
/** The cloud metadata address, served here by a listener on a network this test creates. */
const METADATA_IP = "169.254.169.254";
/** The listener's own address on the private network. */
const METADATA_LISTENER_IP = "10.213.1.250";

const skip = skipWithoutLocalEngine("local-fleet end-to-end tests", "test/e2e/local-fleet.test.ts");
const progress = taggedProgress("e2e");

describe.skipIf(skip)("the local fleet, end to end", () => {
  const docker = new Docker();
  // downFleet removes the state directory itself; its temporary parent is this test's to remove.
  const scratch = mkdtempSync(join(tmpdir(), "sandfleet-e2e-"));
  const stateDir = join(scratch, "state");
  let fleet: LocalFleet;
  let workspaces: FleetHost[];
  let platform: FleetHost;
  let fleetDown = false;

  const tlsClient = (host: FleetHost) =>
    new Docker({
      host: "127.0.0.1",
      port: host.dockerPort,
      protocol: "https",
      ca: fleet.tls.ca.certPem,
      cert: fleet.tls.client.certPem,
      key: fleet.tls.client.keyPem,
    });
  const inHost = (host: FleetHost, script: string) => execInContainer(docker.getContainer(host.containerId), ["sh", "-c", script], { timeoutMs: 60_000 });
  const endpointOf = (host: FleetHost): Endpoint => fleet.registry.endpoints.find((e) => e.labels.host === host.name)!;
  const onHost = (host: FleetHost) => ({ matchExpressions: [{ key: "host", operator: "In" as const, values: [host.name] }] });

  beforeAll(async () => {
    await removeFleetResources(docker, FLEET);
    fleet = await upFleet({ fleet: FLEET, subnet: SUBNET, workspaces: 2, platforms: 1, stateDir, docker, progress });
    workspaces = fleet.hosts.filter((h) => h.role === "workspace");
    platform = fleet.hosts.find((h) => h.role === "platform")!;
    // A stand-in for the cloud metadata service: a listener on the private network that also answers on
    // 169.254.169.254, and a route to it in every host (as a cloud routes its metadata address to each server).
    // Hosts are not attached to a second network: that would move their published ports to it.
    const listener = await docker.createContainer({
      name: `sandfleet-${FLEET}-metadata`,
      Image: fleet.image.tag,
      Entrypoint: [
        "/bin/sh",
        "-c",
        `ip addr add ${METADATA_IP}/32 dev eth0 && mkdir -p /srv && echo instance-id > /srv/index.html && exec /bin/busybox httpd -f -p 80 -h /srv`,
      ],
      Cmd: [],
      Labels: fleetLabels(FLEET),
      HostConfig: { NetworkMode: fleet.network.name, CapAdd: ["NET_ADMIN"] },
      NetworkingConfig: { EndpointsConfig: { [fleet.network.name]: { IPAMConfig: { IPv4Address: METADATA_LISTENER_IP } } } },
    });
    await listener.start();
    for (const host of fleet.hosts) {
      const route = await inHost(host, `ip route replace ${METADATA_IP}/32 via ${METADATA_LISTENER_IP}`);
      expect(route.exitCode, route.stderr).toBe(0);
    }
  });

  afterAll(async () => {
    if (!fleetDown) await downFleet({ fleet: FLEET, stateDir, docker }).catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  });

  it("finishes cloud-init on every host with status done and no errors", async () => {
    expect(fleet.hosts).toHaveLength(3);
    for (const host of fleet.hosts) {
      const status = await execInContainer(docker.getContainer(host.containerId), ["cloud-init", "status", "--wait", "--format", "json"]);
      expect(status.exitCode, `${host.name}: ${status.stdout}${status.stderr}`).toBe(0);
      // cloud-init 25 reports warnings as recoverable errors (exit 2 above); none may remain either.
      expect(JSON.parse(status.stdout), host.name).toMatchObject({ status: "done", errors: [], recoverable_errors: {} });
    }
  });

  it("makes runsc Docker's default runtime on every workspace host, and leaves runc on the platform host", async () => {
    for (const host of workspaces) {
      const info = await tlsClient(host).info();
      expect(info.DefaultRuntime, host.name).toBe("runsc");
    }
    const platformInfo = await execInContainer(docker.getContainer(platform.containerId), ["docker", "info", "--format", "{{.DefaultRuntime}}"]);
    expect(platformInfo.stdout.trim()).toBe("runc");
  });

  it("keeps the host firewall from cloud-init active inside the hosts", async () => {
    for (const host of fleet.hosts) {
      const ruleset = await inHost(host, "nft list table inet sandfleet");
      expect(ruleset.exitCode, `${host.name}: ${ruleset.stderr}`).toBe(0);
      expect(ruleset.stdout).toMatch(/policy drop/);
    }
  });

  it("has sandfleet doctor report every workspace endpoint healthy", async () => {
    const doctor = await runDoctor(fleet.registryPath);
    for (const endpoint of fleet.registry.endpoints) expect(doctor.output).toContain(endpoint.id);
    expect(doctor.exitCode, doctor.output).toBe(0);
  });

  it("acquires a sandbox through the pool on each workspace host, running under gVisor", async () => {
    const pool = await createPool({
      registry: fleet.registry,
      poolId: "e2e-gvisor",
      minIdle: 0,
      profiles: { default: { image: LOCAL_SANDBOX_IMAGE } },
    });
    try {
      for (const host of workspaces) {
        const sandbox = await pool.acquire({ affinity: onHost(host), timeoutMs: 120_000 });
        try {
          expect(sandbox.endpointId).toBe(endpointOf(host).id);
          const inspected = await tlsClient(host).getContainer(sandbox.id).inspect();
          expect(inspected.HostConfig.Runtime).toBe("runsc");
          const uname = await sandbox.exec(["uname", "-r"], { timeoutMs: 30_000 });
          expect(uname.exitCode).toBe(0);
          expect(uname.stdout.trim()).toBe("4.4.0");
        } finally {
          await sandbox.release();
        }
      }
    } finally {
      await pool.close();
    }
  });

  it("starts a runc sandbox through the pool on each workspace host, with open files capped at what the host grants", async () => {
    const pool = await createPool({
      registry: fleet.registry,
      poolId: "e2e-runc",
      minIdle: 0,
      profiles: { default: { image: LOCAL_SANDBOX_IMAGE, runtime: "runc" } },
    });
    try {
      for (const host of workspaces) {
        // A test host is a container without CAP_SYS_RESOURCE: its PID 1 keeps the engine's hard limit.
        const hostHard = Number((await inHost(host, "awk '/^Max open files/ { print $5 }' /proc/1/limits")).stdout.trim());
        expect(hostHard, `${host.name}: PID 1's hard nofile limit`).toBeGreaterThan(0);
        const sandbox = await pool.acquire({ affinity: onHost(host), timeoutMs: 120_000 });
        try {
          const inspected = await tlsClient(host).getContainer(sandbox.id).inspect();
          expect(inspected.HostConfig.Runtime).toBe("runc");
          const limits = await sandbox.exec(["sh", "-c", "uname -r; ulimit -Sn; ulimit -Hn"], { timeoutMs: 30_000 });
          expect(limits.exitCode, limits.stderr).toBe(0);
          const [kernel, soft, hard] = limits.stdout.trim().split("\n");
          expect(kernel, "runc runs on the host's kernel, not gVisor's").not.toBe("4.4.0");
          expect([Number(soft), Number(hard)]).toEqual([Math.min(65536, hostHard), Math.min(65536, hostHard)]);
        } finally {
          await sandbox.release();
        }
      }
    } finally {
      await pool.close();
    }
  });

  it("refuses every workspace daemon's API to clients without a cert or with a cert from another CA", async () => {
    const stranger = await issueDockerTls({ stack: "stranger", servers: [] });
    const ping = (host: FleetHost, client?: { cert: string; key: string }) =>
      new Promise<number>((resolve, reject) => {
        const req = https.request(
          { host: "127.0.0.1", port: host.dockerPort, path: "/_ping", ca: fleet.tls.ca.certPem, servername: host.name, timeout: 10_000, ...client },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.end();
      });
    for (const host of workspaces) {
      await expect(ping(host, { cert: fleet.tls.client.certPem, key: fleet.tls.client.keyPem })).resolves.toBe(200);
      await expect(ping(host), `${host.name} without a client cert`).rejects.toThrow();
      await expect(ping(host, { cert: stranger.client.certPem, key: stranger.client.keyPem }), `${host.name} with another CA`).rejects.toThrow();
    }
  });

  it("lets the platform host reach a workspace's Docker port over the private network, but not a gVisor sandbox", async () => {
    for (const host of workspaces) {
      const fromPlatform = await inHost(platform, `nc -z -w 5 ${host.privateIp} 2376; echo rc=$?`);
      expect(fromPlatform.stdout.trim(), `platform -> ${host.name}:2376`).toBe("rc=0");
    }
    const pool = await createPool({ registry: fleet.registry, poolId: "e2e-reach", minIdle: 0, profiles: { default: { image: LOCAL_SANDBOX_IMAGE } } });
    try {
      for (const host of workspaces) {
        const sandbox = await pool.acquire({ affinity: onHost(host), timeoutMs: 120_000 });
        try {
          for (const target of workspaces) {
            const probe = await sandbox.exec(["sh", "-c", `echo | nc -w 3 ${target.privateIp} 2376 >/dev/null 2>&1; echo rc=$?`], { timeoutMs: 30_000 });
            expect(probe.stdout.trim(), `sandbox on ${host.name} -> ${target.name}:2376`).not.toBe("rc=0");
          }
        } finally {
          await sandbox.release();
        }
      }
    } finally {
      await pool.close();
    }
  });

  it("keeps a networked sandbox (runc on the engine's bridge: runsc has no sandbox network here) away from the metadata address and the other hosts' Docker ports", async () => {
    for (const host of workspaces) {
      // Positive control: the host itself reaches the metadata listener, so a refusal below is the firewall's doing.
      const fromHost = await inHost(host, `nc -z -w 5 ${METADATA_IP} 80; echo rc=$?`);
      expect(fromHost.stdout.trim(), `${host.name} -> metadata`).toBe("rc=0");
    }
    const pool = await createPool({
      registry: fleet.registry,
      poolId: "e2e-egress",
      minIdle: 0,
      profiles: { default: { image: LOCAL_SANDBOX_IMAGE, runtime: "runc", network: "bridge" } },
    });
    try {
      for (const host of workspaces) {
        const targets = [`${METADATA_IP} 80`, ...fleet.hosts.filter((h) => h.name !== host.name).map((h) => `${h.privateIp} 2376`)];
        const script = [
          "ip -4 addr show eth0 | grep -q 'inet ' && echo has-address",
          ...targets.map((t) => `echo | nc -w 3 ${t} >/dev/null 2>&1; echo "${t} rc=$?"`),
        ].join("\n");
        const sandbox = await pool.acquire({ affinity: onHost(host), timeoutMs: 120_000 });
        try {
          const { stdout: output } = await sandbox.exec(["sh", "-c", script], { timeoutMs: 60_000 });
          expect(output, `sandbox on ${host.name} has a network interface`).toContain("has-address");
          for (const target of targets) {
            expect(output, `sandbox on ${host.name} -> ${target}`).toMatch(new RegExp(`${target.replace(/\./g, "\\.")} rc=[1-9]`));
          }
        } finally {
          await sandbox.release();
        }
      }
    } finally {
      await pool.close();
    }
  });

  it("never puts a private key into any host's user-data", async () => {
    for (const host of fleet.hosts) {
      expect(host.userData).toContain(fleet.deployKey.publicKey);
      expect(readableUserData(host.userData)).not.toMatch(/PRIVATE KEY/);
      const seen = await inHost(host, "cat /var/lib/cloud/instance/user-data.txt");
      expect(seen.stdout).toContain("#cloud-config");
      expect(seen.stdout).not.toMatch(/PRIVATE KEY/);
    }
  });

  it("has sshd offer public-key authentication only, refusing password logins", async () => {
    for (const host of fleet.hosts) {
      for (const user of [LOCAL_ADMIN_USER, "root"]) {
        const methods = await offeredAuthMethods("127.0.0.1", host.sshPort, user);
        expect(methods, `${host.name} ${user}`).toContain("publickey");
        expect(methods, `${host.name} ${user}`).not.toContain("password");
        expect(methods, `${host.name} ${user}`).not.toContain("keyboard-interactive");
      }
    }
  });

  it("leaves no container, network, volume or file behind after down", async () => {
    const removed = await downFleet({ fleet: FLEET, stateDir, docker });
    fleetDown = true;
    expect(removed.some((r) => r.startsWith("container "))).toBe(true);
    const filters = JSON.stringify(fleetFilter(FLEET));
    expect(await docker.listContainers({ all: true, filters })).toEqual([]);
    expect(await docker.listNetworks({ filters })).toEqual([]);
    expect((await docker.listVolumes({ filters })).Volumes ?? []).toEqual([]);
    expect(existsSync(stateDir)).toBe(false);
  });
});
