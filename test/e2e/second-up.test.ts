/**
 * End to end: the second `pulumi up` on the local fleet, for what only the hosts themselves can show.
 *
 * 1. The host firewall follows a config change, the local counterpart of editing `sandfleet:adminCidrs` and a
 *    pool's Docker API sources and running `pulumi up`. One workspace test host boots with the fleet's usual
 *    sources; then local/firewall-change.ts re-runs the same post-boot script over SSH with the ruleset rendered
 *    from the changed config, and the host's `nft list ruleset` follows: SSH opens to a new admin source outside
 *    the private range, the Docker API moves to one new source and closes to the old one.
 * 2. A host whose data volume is missing at boot (its user-data names a device that never appears) fails its
 *    post-boot step with the reason, and dockerd never starts on the root disk. It boots alongside the fleet, so
 *    its 120 s wait for the volume costs little extra.
 *
 * The sources are real containers on networks this test creates: the fleet's private network is the lower half
 * of the test's /24 and an "admin" network the upper half, so the admin probe's address is outside the private
 * range, as an office range is. The volume-less host lives on the admin network, as fleet `day2x`.
 *
 * Without a reachable engine and without CI these tests skip with a message; with CI set they must run.
 * Run alone with: flock /tmp/sf/e2e.lock npx vitest run --project e2e test/e2e/second-up.test.ts
 */
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { firewallRuleset, renderCloudConfig, type HostCloudConfig } from "../../cloud-init";
import { issueDockerTls } from "../../components/tls/local-issuer";
import { execInContainer } from "../../local/container-exec";
import { changeFleetFirewall, type FirewallChangeResult } from "../../local/firewall-change";
import { downFleet, type FleetHost, type LocalFleet, upFleet } from "../../local/fleet";
import { bootHost, type BootedHost, type CloudInitResult, detectPrivilegeMode, LOCAL_ADMIN_USER, removeFleetResources, waitForCloudInit } from "../../local/hosts";
import { fleetLabels } from "../../local/labels";
import { runPostBootOnHost } from "../../local/post-boot";
import { ensureTestHostImage } from "../../local/test-host-image";
import { ensureDeployKey } from "../../local/ssh";
import { skipWithoutLocalEngine, taggedProgress } from "../support/local-engine";

const FLEET = "day2";
/** The fleet of the host without its data volume, on the admin network. */
const VOLUMELESS_FLEET = "day2x";
const PRIVATE_SUBNET = "10.213.21.0/25";
const ADMIN_SUBNET = "10.213.21.128/25";
const ADMIN_GATEWAY = "10.213.21.129";
const VOLUMELESS_HOST_IP = "10.213.21.150";
/** A stable device path like a provider's, that never appears. */
const MISSING_VOLUME = "/dev/disk/by-id/scsi-0HC_Volume_sandfleet-e2e-missing";
/** The workspace host's second address, on the admin network. */
const HOST_ADMIN_IP = "10.213.21.140";
/** The new admin source (outside the private range) and the new, only Docker API source (inside it). */
const ADMIN_PROBE_IP = "10.213.21.130";
const API_PROBE_IP = "10.213.21.100";

const skip = skipWithoutLocalEngine("second-up end-to-end tests", "test/e2e/second-up.test.ts");
const progress = taggedProgress("second-up");

describe.skipIf(skip)("the local fleet's second up: firewall sources change, a data volume is missing", () => {
  const docker = new Docker();
  // downFleet removes the state directory itself; its temporary parent is this test's to remove.
  const scratch = mkdtempSync(join(tmpdir(), "sandfleet-firewall-"));
  const stateDir = join(scratch, "state");
  let fleet: LocalFleet;
  let host: FleetHost;
  let adminProbe: Docker.Container;
  let apiProbe: Docker.Container;
  let change: FirewallChangeResult;
  const before = {} as { ruleset: string; tables: string[]; sshFromAdmin: string; apiFromProbe: string; apiFromLoopback: string };
  const volumeless = {} as { host: BootedHost; cloudInit: CloudInitResult; postBoot: Error | undefined };

  const onHost = async (cmd: string[]) => {
    const result = await execInContainer(docker.getContainer(host.containerId), cmd, { timeoutMs: 30_000 });
    expect(result.exitCode, result.stderr).toBe(0);
    return result.stdout;
  };
  const tables = async () => (await onHost(["nft", "list", "tables"])).trim().split("\n").sort();
  /** The first bytes sshd sends ("SSH-2.0"), or what went wrong (a dropped SYN times out). */
  const sshBanner = async (probe: Docker.Container, address: string) => {
    const result = await execInContainer(probe, ["timeout", "5", "bash", "-c", `exec 3<>/dev/tcp/${address}/22 && head -c 7 <&3`], { timeoutMs: 30_000 });
    return result.exitCode === 0 ? result.stdout : `failed (exit ${result.exitCode})`;
  };
  /** The Docker API's /version over mutual TLS with the fleet's client cert, from `probe`: the server version or the failure. */
  const dockerVersionFrom = async (probe: Docker.Container, address: string) => {
    const result = await execInContainer(
      probe,
      ["curl", "-sS", "--max-time", "5", "--cacert", "/tmp/ca.pem", "--cert", "/tmp/client.pem", "--key", "/tmp/client-key.pem", `https://${address}:2376/version`],
      { timeoutMs: 30_000 },
    );
    return result.exitCode === 0 ? (JSON.parse(result.stdout) as { Version: string }).Version : `failed (curl exit ${result.exitCode})`;
  };
  /** The same request as the pool makes it: from this machine over the port published on 127.0.0.1 (source: the network's gateway). */
  const dockerVersionFromLoopback = async () => {
    const client = new Docker({ host: "127.0.0.1", port: host.dockerPort, protocol: "https", ca: fleet.tls.ca.certPem, cert: fleet.tls.client.certPem, key: fleet.tls.client.keyPem, timeout: 5_000 });
    return client.version().then((v) => v.Version, (err: Error) => `failed (${err.message})`);
  };
  /** A probe labelled with the fleet whose network it joins, so that fleet's clean-up frees its network. */
  const startProbe = async (name: string, owner: string, network: string, ip: string) => {
    const probe = await docker.createContainer({
      name: `sandfleet-${owner}-probe-${name}`,
      Image: fleet.image.tag,
      Entrypoint: ["sleep"],
      Cmd: ["infinity"],
      Labels: fleetLabels(owner),
      HostConfig: { NetworkMode: network },
      NetworkingConfig: { EndpointsConfig: { [network]: { IPAMConfig: { IPv4Address: ip } } } },
    });
    await probe.start();
    for (const [path, pem] of [["/tmp/ca.pem", fleet.tls.ca.certPem], ["/tmp/client.pem", fleet.tls.client.certPem], ["/tmp/client-key.pem", fleet.tls.client.keyPem]]) {
      const written = await execInContainer(probe, ["sh", "-c", 'umask 077; cat > "$1"', "_", path], { stdin: pem, timeoutMs: 30_000 });
      expect(written.exitCode, written.stderr).toBe(0);
    }
    return probe;
  };

  /**
   * Boots a workspace host whose user-data names a data volume that never appears, waits for its cloud-init,
   * and runs the post-boot step as `up` would; keeps what each step said.
   */
  const bootVolumeless = async (admin: { name: string; subnet: string; gateway: string }, image: string) => {
    const cloudConfig: HostCloudConfig = {
      role: "workspace",
      hostname: "ws-novolume",
      adminUser: LOCAL_ADMIN_USER,
      sshAuthorizedKeys: [fleetKey.publicKey],
      privateNetworkCidr: ADMIN_SUBNET,
      dockerApiSources: [ADMIN_SUBNET],
      adminCidrs: [`${ADMIN_GATEWAY}/32`],
      publicPorts: [],
      volume: { device: MISSING_VOLUME, mountPoint: "/var/lib/docker" },
      docker: { packageSource: "distro", gvisorPlatform: "systrap", gvisorNetwork: "none", prePullImages: [] },
    };
    const mode = await detectPrivilegeMode(docker, image);
    const spec = { name: "ws-novolume", role: "workspace" as const, privateIp: VOLUMELESS_HOST_IP, userData: renderCloudConfig(cloudConfig) };
    volumeless.host = await bootHost({ docker, fleet: VOLUMELESS_FLEET, image, network: admin, spec, mode, progress });
    volumeless.cloudInit = await waitForCloudInit(docker, volumeless.host, progress);
    const tls = await issueDockerTls({ stack: VOLUMELESS_FLEET, servers: [{ serverName: "ws-novolume", privateIp: VOLUMELESS_HOST_IP }] });
    volumeless.postBoot = await runPostBootOnHost({ ...volumeless.host, cloudConfig }, tls, { username: LOCAL_ADMIN_USER, privateKey: fleetKey.privateKey }, progress).then(
      () => undefined,
      (err: Error) => err,
    );
  };
  /** The deploy key of both fleets: upFleet keeps the one it finds in its state directory. */
  let fleetKey: { publicKey: string; privateKey: string };

  beforeAll(async () => {
    await removeFleetResources(docker, FLEET);
    await removeFleetResources(docker, VOLUMELESS_FLEET);
    const booted = Date.now();
    const image = await ensureTestHostImage({ docker, progress });
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    fleetKey = ensureDeployKey(join(stateDir, "deploy_key"));
    // Labelled with the volume-less host's fleet: removeFleetResources(VOLUMELESS_FLEET) removes it with that host
    // and the admin probe, and upFleet's own clean-up of FLEET leaves it alone.
    const admin = { name: `sandfleet-${VOLUMELESS_FLEET}-admin`, subnet: ADMIN_SUBNET, gateway: ADMIN_GATEWAY };
    await docker.createNetwork({ Name: admin.name, Labels: fleetLabels(VOLUMELESS_FLEET), IPAM: { Config: [{ Subnet: ADMIN_SUBNET, Gateway: ADMIN_GATEWAY }] } });
    [fleet] = await Promise.all([
      upFleet({ fleet: FLEET, subnet: PRIVATE_SUBNET, workspaces: 1, platforms: 0, stateDir, docker, progress }),
      bootVolumeless(admin, image.tag),
    ]);
    console.log(`[second-up] fleet and volume-less host up in ${((Date.now() - booted) / 1000).toFixed(1)} s`);
    host = fleet.hosts[0];

    await docker.getNetwork(admin.name).connect({ Container: host.containerId, EndpointConfig: { IPAMConfig: { IPv4Address: HOST_ADMIN_IP } } });
    adminProbe = await startProbe("admin", VOLUMELESS_FLEET, admin.name, ADMIN_PROBE_IP);
    apiProbe = await startProbe("api", FLEET, fleet.network.name, API_PROBE_IP);

    before.ruleset = await onHost(["nft", "list", "table", "inet", "sandfleet"]);
    before.tables = await tables();
    before.sshFromAdmin = await sshBanner(adminProbe, HOST_ADMIN_IP);
    before.apiFromProbe = await dockerVersionFrom(apiProbe, host.privateIp);
    before.apiFromLoopback = await dockerVersionFromLoopback();

    change = await changeFleetFirewall(fleet, { adminCidrs: [`${ADMIN_PROBE_IP}/32`], dockerApiSources: [`${API_PROBE_IP}/32`] }, { progress });
    console.log(`[second-up] FIREWALL CHANGE TIME: ${change.hosts.map((h) => `${h.host} post-boot ${(h.durationMs / 1000).toFixed(1)} s`).join(", ")}`);
  }, 900_000);

  afterAll(async () => {
    // FLEET first: its host is on the admin network too, which can go only once that host is gone.
    await downFleet({ fleet: FLEET, stateDir, docker }).catch(() => undefined);
    await removeFleetResources(docker, VOLUMELESS_FLEET).catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
  });

  it("starts from the sources user-data wrote: SSH only from the private range and the engine, the Docker API from the private range", () => {
    expect(before.ruleset).toContain("ip saddr 10.213.21.0/25 tcp dport 2376 accept");
    expect(before.ruleset).not.toContain(ADMIN_PROBE_IP);
    expect(before.sshFromAdmin).toMatch(/^failed/);
    expect(before.apiFromProbe).toMatch(/^\d+\.\d+/);
    expect(before.apiFromLoopback).toMatch(/^\d+\.\d+/);
  });

  it("loads the ruleset rendered from the new config: the host reports its digest and nft lists the new sources only", async () => {
    expect(change.hosts.map((h) => h.firewallSha256)).toEqual([createHash("sha256").update(firewallRuleset(change.fleet.hosts[0].cloudConfig)).digest("hex")]);
    const now = await onHost(["nft", "list", "table", "inet", "sandfleet"]);
    expect(now).toContain(`ip saddr ${ADMIN_PROBE_IP} tcp dport 22 accept`);
    expect(now).toContain(`ip saddr ${API_PROBE_IP} tcp dport 2376 accept`);
    expect(now).not.toContain("ip saddr 10.213.21.0/25 tcp dport 2376 accept");
    expect(now).not.toContain("ip saddr 10.213.21.1 tcp dport 22 accept");
    // The file the boot unit loads holds the same rules, so a reboot keeps them.
    expect(await onHost(["cat", "/etc/sandfleet/firewall.nft"])).toBe(firewallRuleset(change.fleet.hosts[0].cloudConfig));
  });

  it("opens SSH to the new admin source, outside the private range", async () => {
    expect(await sshBanner(adminProbe, HOST_ADMIN_IP)).toBe("SSH-2.0");
  });

  it("serves the Docker API to the new source and no longer to the old one (the engine's address on the private network)", async () => {
    expect(await dockerVersionFrom(apiProbe, host.privateIp)).toBe(before.apiFromProbe);
    expect(await dockerVersionFromLoopback()).toMatch(/^failed/);
  });

  it("replaces only sandfleet's table: Docker's tables stay", async () => {
    expect(await tables()).toEqual(before.tables);
    expect(before.tables).toContain("table inet sandfleet");
    expect(before.tables.length).toBeGreaterThan(1);
  });

  it("keeps the new rules when the boot unit loads the file again", async () => {
    const loaded = await onHost(["nft", "list", "table", "inet", "sandfleet"]);
    await onHost(["systemctl", "restart", "sandfleet-firewall.service"]);
    expect(await onHost(["nft", "list", "table", "inet", "sandfleet"])).toBe(loaded);
  });
  it("fails the post-boot step of a host whose data volume never appeared, saying so and what to do", () => {
    console.log(`[second-up] ws-novolume: cloud-init ${volumeless.cloudInit.status} after ${(volumeless.cloudInit.durationMs / 1000).toFixed(0)} s`);
    expect(volumeless.postBoot).toBeInstanceOf(Error);
    expect(volumeless.postBoot!.message).toContain(`the data volume ${MISSING_VOLUME} is not mounted at /var/lib/docker`);
    expect(volumeless.postBoot!.message).toContain("the device is missing");
    expect(volumeless.postBoot!.message).toContain("Attach the volume and reboot the server");
  });

  it("never starts dockerd on that host, so no Docker data lands on the disk the volume would have covered", async () => {
    const container = docker.getContainer(volumeless.host.containerId);
    const active = await execInContainer(container, ["systemctl", "is-active", "docker.service"], { timeoutMs: 30_000 });
    expect(active.stdout.trim()).not.toBe("active");
    const guard = await execInContainer(container, ["systemctl", "cat", "docker.service"], { timeoutMs: 30_000 });
    expect(guard.stdout).toContain(`ExecStartPre=/usr/bin/findmnt --mountpoint /var/lib/docker --source ${MISSING_VOLUME}`);
    const data = await execInContainer(container, ["ls", "-A", "/var/lib/docker"], { timeoutMs: 30_000 });
    expect(data.exitCode, data.stderr).toBe(0);
    expect(data.stdout.trim()).toBe("");
  });
});
