/**
 * The Hetzner provider driven directly (createSite -> createPlatform / createWorkspacePool) under Pulumi
 * mocks, with assertions over the recorded hcloud resources.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type * as HetznerModule from "../../../components/hetzner";
import type { PlatformSpec, ProvisionedPlatform, ProvisionedServer, ServerSpec, SiteArgs, WorkspacePoolSpec } from "../../../components/provider";
import { installPulumiMocks, valueOf, type MockRecorder, type RecordedResource } from "../../support/pulumi-mocks";

const hcloud = (name: string) => `hcloud:index/${name[0].toLowerCase()}${name.slice(1)}:${name}`;
const adminCidrs = ["198.51.100.7/32"];
const internet = ["0.0.0.0/0", "::/0"];

let recorder: MockRecorder;
let hetzner: typeof HetznerModule;

class TestFleet extends pulumi.ComponentResource {
  constructor(name: string) {
    super("sandfleet:test:Fleet", name, {}, {});
  }
}

function siteArgs(name: string, overrides: Partial<SiteArgs> = {}): SiteArgs {
  return {
    name,
    stack: "test",
    location: "fsn1",
    networkCidr: "10.0.0.0/16",
    adminCidrs,
    sshPublicKeys: ["ssh-ed25519 AAAAdeploy deploy", "ssh-ed25519 AAAAadmin admin"],
    tags: { "managed-by": "sandfleet" },
    protection: { deleteProtection: false, retainVolumes: false },
    ...overrides,
  };
}

/** User-data that records what the provider handed to the renderer, so tests can check the wiring. */
function server(name: string, privateIp: string, overrides: Partial<ServerSpec> = {}): ServerSpec {
  return {
    name,
    serverType: "cx33",
    location: "fsn1",
    privateIp,
    volumeGb: 50,
    labels: { tier: "standard" },
    userData: (device, host) =>
      pulumi
        .all([device ?? "none", pulumi.all(host?.extraPublicIpv4s ?? [])])
        .apply(([d, ips]) => `#cloud-config\n# volume: ${d}\n# extra-ips: ${ips.join(",")}\n`),
    ...overrides,
  };
}

function poolSpec(name: string, count: number, block: number, overrides: Partial<WorkspacePoolSpec> = {}): WorkspacePoolSpec {
  return {
    name,
    servers: Array.from({ length: count }, (_, i) => server(`ws-${name}-${i + 1}`, `10.0.${block}.${10 + i}`, { labels: { tier: name } })),
    spread: true,
    spot: false,
    dockerApiSources: ["10.0.0.0/16"],
    ...overrides,
  };
}

/** Waits until every output handed back has resolved and no more resources are being registered. */
async function settle(...outputs: pulumi.Input<unknown>[]): Promise<void> {
  await valueOf(pulumi.all(outputs));
  let seen = -1;
  while (recorder.resources.length !== seen) {
    seen = recorder.resources.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function outputsOf(server: ProvisionedServer | ProvisionedPlatform): pulumi.Input<unknown>[] {
  const platform = server as ProvisionedPlatform;
  return [server.privateIp, server.publicIp, platform.publicAddress, platform.loadBalancerIp].filter((o) => o !== undefined);
}

const within = (prefix: string) => (r: RecordedResource) => r.name.startsWith(`${prefix}-`);
const ofType = (type: string, prefix: string) => recorder.ofType(hcloud(type)).filter(within(prefix));
const idOf = (r: RecordedResource) => Number(r.id);
const portCovers = (spec: string, port: number) => {
  const [from, to = from] = spec.split("-").map(Number);
  return port >= from && port <= to;
};

beforeAll(async () => {
  recorder = installPulumiMocks({ stack: "test" });
  hetzner = await import("../../../components/hetzner");
});

describe("a Hetzner fleet with a load balancer, a floating IP and two pools", () => {
  const fleet = "sf-a";
  let platform: ProvisionedPlatform;
  let standard: ProvisionedServer[];
  let burst: ProvisionedServer[];
  const platformIpOfOtherCloud = pulumi.output("203.0.113.99");

  beforeAll(async () => {
    const site = hetzner.hetznerProvider.createSite(siteArgs(fleet), new TestFleet(fleet));
    const spec: PlatformSpec = {
      ...server("platform", "10.0.0.10", { serverType: "cx23", volumeGb: 20, labels: {} }),
      stableIp: true,
      publicPorts: [],
      loadBalancer: { ports: [{ listen: 80, target: 8080 }, { listen: 443, target: 8443 }], healthCheckPort: 8443 },
    };
    platform = site.createPlatform(spec);
    standard = site.createWorkspacePool(poolSpec("standard", 12, 42));
    burst = site.createWorkspacePool(
      poolSpec("burst", 2, 7, { spread: false, spot: true, dockerApiSources: [platformIpOfOtherCloud] }),
    );
    await settle(...[platform, ...standard, ...burst].flatMap(outputsOf));
  });

  it("never opens SSH or the Docker API to the internet", () => {
    const rules = ofType("Firewall", fleet).flatMap((fw) => fw.inputs.rules as { port: string; sourceIps: string[] }[]);
    expect(rules.length).toBeGreaterThan(0);
    for (const rule of rules) {
      for (const port of [22, 2375, 2376]) {
        if (portCovers(rule.port, port)) expect(rule.sourceIps.filter((s) => internet.includes(s))).toEqual([]);
      }
    }
  });

  it("never mentions the plain-text Docker port 2375", () => {
    const rules = ofType("Firewall", fleet).flatMap((fw) => fw.inputs.rules as { port: string }[]);
    expect(rules.some((rule) => portCovers(rule.port, 2375))).toBe(false);
  });

  it("opens 2376 on each pool only from that pool's Docker API sources", () => {
    const rulesOf = (pool: string) => recorder.named(`${fleet}-hetzner-pool-${pool}-firewall`).inputs.rules as { port: string; sourceIps: string[] }[];
    expect(rulesOf("standard").map((r) => [r.port, r.sourceIps])).toEqual([["22", adminCidrs], ["2376", ["10.0.0.0/16"]]]);
    expect(rulesOf("burst").map((r) => [r.port, r.sourceIps])).toEqual([["22", adminCidrs], ["2376", ["203.0.113.99/32"]]]);
  });

  it("keeps 80 and 443 closed on a platform that sits behind the load balancer", () => {
    const rules = recorder.named(`${fleet}-hetzner-platform-firewall`).inputs.rules as { port: string }[];
    expect(rules.map((r) => r.port)).toEqual(["22"]);
  });

  it("gives every server exactly its own firewall, by numeric id", () => {
    const firewallIds = new Map(ofType("Firewall", fleet).map((fw) => [fw.name, idOf(fw)]));
    const servers = ofType("Server", fleet);
    expect(servers).toHaveLength(15);
    for (const s of servers) {
      expect(s.inputs.firewallIds).toHaveLength(1);
      expect(typeof s.inputs.firewallIds[0]).toBe("number");
    }
    const expected = firewallIds.get(`${fleet}-hetzner-pool-standard-firewall`);
    expect(recorder.named(`${fleet}-hetzner-pool-standard-ws-standard-3-server`).inputs.firewallIds).toEqual([expected]);
  });

  it("puts every server on the network at its planned private IP", () => {
    const networkId = idOf(recorder.named(`${fleet}-hetzner-network`));
    const planned = new Map([["platform", "10.0.0.10"], ["ws-standard-12", "10.0.42.21"], ["ws-burst-2", "10.0.7.11"]]);
    for (const s of ofType("Server", fleet)) {
      expect(s.inputs.networks).toEqual([{ networkId, ip: expect.stringMatching(/^10\.0\.\d+\.\d+$/), aliasIps: [] }]);
    }
    for (const [name, ip] of planned) {
      const s = ofType("Server", fleet).find((r) => r.inputs.name === `${fleet}-${name}`)!;
      expect(s.inputs.networks[0].ip).toBe(ip);
    }
  });

  it("creates one cloud subnet over the whole range in the location's network zone", () => {
    const subnet = recorder.named(`${fleet}-hetzner-subnet`);
    expect(subnet.inputs).toMatchObject({ type: "cloud", networkZone: "eu-central", ipRange: "10.0.0.0/16" });
    expect(subnet.inputs.networkId).toBe(idOf(recorder.named(`${fleet}-hetzner-network`)));
  });

  it("attaches each volume to the server it belongs to and tells cloud-init its device", () => {
    const attachments = ofType("VolumeAttachment", fleet);
    expect(attachments).toHaveLength(15);
    for (const attachment of attachments) {
      const base = attachment.name.replace(/-volume-attachment$/, "");
      const serverRes = recorder.named(`${base}-server`);
      const volume = recorder.named(`${base}-volume`);
      expect(attachment.inputs).toEqual({ serverId: idOf(serverRes), volumeId: idOf(volume), automount: false });
      expect(serverRes.inputs.userData).toContain(`# volume: /dev/disk/by-id/scsi-0HC_Volume_${volume.id}\n`);
      expect(volume.inputs).toMatchObject({ automount: false, location: "fsn1" });
    }
  });

  it("passes ids as numbers wherever hcloud wants numbers", () => {
    const numericInputs: [string, string][] = [
      ["NetworkSubnet", "networkId"],
      ["VolumeAttachment", "serverId"],
      ["VolumeAttachment", "volumeId"],
      ["FloatingIpAssignment", "floatingIpId"],
      ["FloatingIpAssignment", "serverId"],
      ["LoadBalancerNetwork", "loadBalancerId"],
      ["LoadBalancerTarget", "loadBalancerId"],
      ["LoadBalancerTarget", "serverId"],
      ["Server", "placementGroupId"],
    ];
    for (const [type, input] of numericInputs) {
      const values = ofType(type, fleet).map((r) => r.inputs[input]).filter((v) => v !== undefined);
      expect(values.length, `${type}.${input}`).toBeGreaterThan(0);
      for (const value of values) expect(Number.isInteger(value), `${type}.${input} = ${value}`).toBe(true);
    }
  });

  it("spreads the standard pool over groups of at most 10 servers and leaves the unspread pool alone", () => {
    const groups = ofType("PlacementGroup", fleet);
    expect(groups.map((g) => [g.name, g.inputs.type])).toEqual([
      [`${fleet}-hetzner-pool-standard-spread-1`, "spread"],
      [`${fleet}-hetzner-pool-standard-spread-2`, "spread"],
    ]);
    const members = (group: RecordedResource) => ofType("Server", fleet).filter((s) => s.inputs.placementGroupId === idOf(group));
    expect(groups.map((g) => members(g).length)).toEqual([10, 2]);
    expect(ofType("Server", `${fleet}-hetzner-pool-burst`).every((s) => s.inputs.placementGroupId === undefined)).toBe(true);
  });

  it("assigns the floating IP to the platform, reports it as the public address and hands it to cloud-init", async () => {
    const fip = recorder.named(`${fleet}-hetzner-platform-floating-ip`);
    const platformServer = recorder.named(`${fleet}-hetzner-platform-server`);
    expect(fip.inputs).toMatchObject({ type: "ipv4", homeLocation: "fsn1" });
    expect(recorder.named(`${fleet}-hetzner-platform-floating-ip-assignment`).inputs).toEqual({
      floatingIpId: idOf(fip),
      serverId: idOf(platformServer),
    });
    expect(await valueOf(platform.publicAddress)).toBe(fip.state.ipAddress);
    expect(platformServer.inputs.userData).toContain(`# extra-ips: ${fip.state.ipAddress}\n`);
  });

  it("points the load balancer at the platform's private IP through the network", async () => {
    const lb = recorder.named(`${fleet}-hetzner-platform-lb`);
    expect(lb.inputs).toMatchObject({ loadBalancerType: "lb11", location: "fsn1" });
    expect(recorder.named(`${fleet}-hetzner-platform-lb-network`).inputs).toMatchObject({
      loadBalancerId: idOf(lb),
      subnetId: recorder.named(`${fleet}-hetzner-subnet`).id,
      ip: "10.0.0.250",
    });
    expect(recorder.named(`${fleet}-hetzner-platform-lb-target`).inputs).toEqual({
      type: "server",
      loadBalancerId: idOf(lb),
      serverId: idOf(recorder.named(`${fleet}-hetzner-platform-server`)),
      usePrivateIp: true,
    });
    const services = ofType("LoadBalancerService", fleet).map((s) => s.inputs);
    expect(services).toEqual([
      expect.objectContaining({ loadBalancerId: lb.id, protocol: "tcp", listenPort: 80, destinationPort: 8080 }),
      expect.objectContaining({ loadBalancerId: lb.id, protocol: "tcp", listenPort: 443, destinationPort: 8443 }),
    ]);
    // hcloud documents a service's health-check port as unique per load balancer (@pulumi/hcloud 1.41
    // LoadBalancerServiceHealthCheck.port, checked 2026-12-01): each service probes its own target.
    expect(services.map((s) => s.healthCheck)).toEqual([
      expect.objectContaining({ protocol: "tcp", port: 8080 }),
      expect.objectContaining({ protocol: "tcp", port: 8443 }),
    ]);
    expect(await valueOf(platform.loadBalancerIp!)).toBe(lb.state.ipv4);
  });

  it("labels servers with stack, role, pool and tier in Hetzner's label alphabet", () => {
    const ws = recorder.named(`${fleet}-hetzner-pool-standard-ws-standard-1-server`);
    expect(ws.inputs.labels).toEqual({ "managed-by": "sandfleet", tier: "standard", stack: "test", role: "workspace", pool: "standard" });
    expect(recorder.named(`${fleet}-hetzner-platform-server`).inputs.labels).toMatchObject({ role: "platform", stack: "test" });
  });

  it("creates servers from Debian 13 with the site's SSH keys, public IPv4 and no protection unless asked", () => {
    const keyIds = ofType("SshKey", fleet).map((k) => k.id);
    expect(keyIds).toHaveLength(2);
    for (const s of ofType("Server", fleet)) {
      expect(s.inputs).toMatchObject({
        image: "debian-13",
        sshKeys: keyIds,
        publicNets: [{ ipv4Enabled: true, ipv6Enabled: true }],
        deleteProtection: false,
        rebuildProtection: false,
      });
    }
  });

  it("reports what the core needs: addresses, region, location and capacity", async () => {
    const first = standard[0];
    expect(first).toMatchObject({
      name: "ws-standard-1",
      role: "workspace",
      pool: "standard",
      provider: "hetzner",
      region: "eu-central",
      location: "fsn1",
      capacity: { cpus: 4, memoryMb: 8192, diskGb: 80 },
    });
    expect(await valueOf(first.privateIp)).toBe("10.0.42.10");
    expect(await valueOf(first.publicIp)).toMatch(/^203\.0\.113\.\d+$/);
    expect(first.readyDependencies).toHaveLength(1);
    expect(platform.readyDependencies).toHaveLength(2);
    expect(burst.map((s) => s.name)).toEqual(["ws-burst-1", "ws-burst-2"]);
  });
});

describe("a Hetzner platform that serves the internet directly", () => {
  const fleet = "sf-b";
  let platform: ProvisionedPlatform;

  beforeAll(async () => {
    const site = hetzner.hetznerProvider.createSite(
      siteArgs(fleet, { protection: { deleteProtection: true, retainVolumes: true } }),
      new TestFleet(fleet),
    );
    platform = site.createPlatform({ ...server("platform", "10.0.0.10", { volumeGb: 0 }), stableIp: false, publicPorts: [80, 443] });
    await settle(...outputsOf(platform));
  });

  it("opens 80 and 443 to the internet besides SSH from the admins", () => {
    const rules = recorder.named(`${fleet}-hetzner-platform-firewall`).inputs.rules as { port: string; sourceIps: string[] }[];
    expect(rules.map((r) => [r.port, r.sourceIps])).toEqual([["22", adminCidrs], ["80", internet], ["443", internet]]);
  });

  it("uses the server's own IPv4 as public address, without floating IP or load balancer", async () => {
    const s = recorder.named(`${fleet}-hetzner-platform-server`);
    expect(await valueOf(platform.publicAddress)).toBe(s.state.ipv4Address);
    expect(platform.loadBalancerIp).toBeUndefined();
    expect(ofType("FloatingIp", fleet)).toEqual([]);
    expect(ofType("LoadBalancer", fleet)).toEqual([]);
  });

  it("creates no volume for a server that asked for none", () => {
    expect(ofType("Volume", fleet)).toEqual([]);
    expect(recorder.named(`${fleet}-hetzner-platform-server`).inputs.userData).toContain("# volume: none\n");
  });

  it("turns on delete and rebuild protection together when asked", () => {
    expect(recorder.named(`${fleet}-hetzner-platform-server`).inputs).toMatchObject({ deleteProtection: true, rebuildProtection: true });
  });
});

describe("Hetzner input errors", () => {
  let n = 0;
  const freshSite = (overrides: Partial<SiteArgs> = {}) => {
    const name = `sf-err-${++n}`;
    return hetzner.hetznerProvider.createSite(siteArgs(name, overrides), new TestFleet(name));
  };
  const platformAt = (overrides: Partial<ServerSpec>): PlatformSpec => ({
    ...server("platform", "10.0.0.10", overrides),
    stableIp: false,
    publicPorts: [],
  });

  it("names the valid locations when the site location is unknown", () => {
    expect(() => freshSite({ location: "fra1" })).toThrow('Hetzner location "fra1" is not a known location. Use one of: fsn1 (eu-central)');
  });

  it("refuses a network range outside private address space", () => {
    expect(() => freshSite({ networkCidr: "100.64.0.0/16" })).toThrow('networkCidr "100.64.0.0/16" is not usable for a Hetzner network');
  });

  it("refuses a server in another network zone than the site", () => {
    expect(() => freshSite().createPlatform(platformAt({ location: "ash" }))).toThrow(
      'Hetzner location of server platform "ash" is in network zone us-east, but this site\'s network is in eu-central',
    );
  });

  it("lists the known server types when the type is unknown", () => {
    expect(() => freshSite().createPlatform(platformAt({ serverType: "cx999" }))).toThrow('Hetzner server type "cx999" is not known. Use one of:');
  });

  it("refuses a private IP outside the network", () => {
    expect(() => freshSite().createPlatform(platformAt({ privateIp: "10.9.0.10" }))).toThrow(
      "private IP 10.9.0.10 of server platform is not a usable host address in the network 10.0.0.0/16",
    );
  });

  it("refuses a volume smaller than Hetzner's minimum", () => {
    expect(() => freshSite().createPlatform(platformAt({ volumeGb: 5 }))).toThrow("volume size 5 GB of server platform is not possible on Hetzner");
  });

  it("refuses two servers with the same private IP", () => {
    const site = freshSite();
    site.createPlatform(platformAt({}));
    const pool = poolSpec("standard", 1, 0);
    expect(() => site.createWorkspacePool(pool)).toThrow("private IP 10.0.0.10 is planned for both server platform and server ws-standard-1");
  });

  it("refuses to open SSH to the internet even if the stack config let it through", () => {
    expect(() => freshSite({ adminCidrs: ["0.0.0.0/0"] }).createPlatform(platformAt({}))).toThrow("opens SSH to the whole internet");
  });

  it("refuses two load balancer services with one target, since their health checks would share a port", () => {
    const spec = { ...platformAt({}), loadBalancer: { ports: [{ listen: 80, target: 8443 }, { listen: 443, target: 8443 }], healthCheckPort: 8443 } };
    expect(() => freshSite().createPlatform(spec)).toThrow(
      "sandfleet:platform.loadBalancer.ports: targets 8443 twice; a Hetzner load balancer probes each service on its own target port and health-check ports are unique per load balancer; give each listen port its own target port",
    );
  });

  it("refuses a health-check port outside the targets when the Hetzner load balancer has several services", () => {
    const spec = { ...platformAt({}), loadBalancer: { ports: [{ listen: 80, target: 8080 }, { listen: 443, target: 8443 }], healthCheckPort: 9000 } };
    expect(() => freshSite().createPlatform(spec)).toThrow(
      "sandfleet:platform.loadBalancer.healthCheckPort: 9000 is not a target port; with several services a Hetzner load balancer probes each service on its own target port (8080, 8443); remove healthCheckPort or set it to one of them",
    );
  });

  it("probes the configured health-check port when the Hetzner load balancer has one service", async () => {
    const site = freshSite();
    const platform = site.createPlatform({ ...platformAt({}), loadBalancer: { ports: [{ listen: 443, target: 8443 }], healthCheckPort: 9000 } });
    await settle(...outputsOf(platform));
    const name = `sf-err-${n}`;
    expect(recorder.named(`${name}-hetzner-platform-lb-service-443`).inputs.healthCheck).toMatchObject({ port: 9000 });
  });

  it("states Hetzner's 32 KiB user-data limit, which the core checks every rendered cloud-config against", () =>
    expect(freshSite().maxUserDataBytes).toBe(32 * 1024));

  it("refuses a load balancer without ports", () => {
    const spec = { ...platformAt({}), loadBalancer: { ports: [], healthCheckPort: 443 } };
    expect(() => freshSite().createPlatform(spec)).toThrow("loadBalancer.ports is empty");
  });
});
