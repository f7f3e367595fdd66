import { beforeAll, describe, expect, it } from "vitest";
import { installPulumiMocks, valueOf, type MockRecorder } from "../../support/pulumi-mocks";
import { buildDirectFleet, networkCidr, type DirectFleet } from "../conformance/direct-fleet";

describe("the DigitalOcean provider", () => {
  let mocks: MockRecorder;
  let fleet: DirectFleet;
  beforeAll(async () => {
    mocks = installPulumiMocks();
    fleet = await buildDirectFleet({
      label: "digitalocean",
      provider: "digitalocean",
      location: "fra1",
      platform: { serverType: "s-2vcpu-4gb", loadBalancer: { ports: [{ listen: 443, target: 8443 }], healthCheckPort: 8443 } },
      pools: [{ name: "standard", count: 3, serverType: "s-4vcpu-8gb" }],
    });
    await valueOf(fleet.platform.publicAddress);
    await new Promise((r) => setTimeout(r, 50));
  });

  it("passes Droplet ids to attachments, the reserved IP and the load balancer as numbers", () => {
    for (const a of mocks.ofType("digitalocean:index/volumeAttachment:VolumeAttachment")) expect(typeof a.inputs.dropletId).toBe("number");
    expect(typeof mocks.ofType("digitalocean:index/reservedIpAssignment:ReservedIpAssignment")[0].inputs.dropletId).toBe("number");
    expect(mocks.ofType("digitalocean:index/loadBalancer:LoadBalancer")[0].inputs.dropletIds).toEqual([expect.any(Number)]);
  });

  it("boots Debian 12 Droplets in the stack's VPC", () => {
    const vpc = mocks.ofType("digitalocean:index/vpc:Vpc")[0];
    expect(vpc.inputs.ipRange).toBe(networkCidr);
    for (const d of mocks.ofType("digitalocean:index/droplet:Droplet")) expect(d.inputs).toMatchObject({ image: "debian-12-x64", region: "fra1", vpcUuid: vpc.id });
  });

  it("hands cloud-init the by-id path named after the volume it attaches", async () => {
    const volume = mocks.ofType("digitalocean:index/volume:Volume").find((v) => v.inputs.name === "sandfleet-test-ws-standard-2-data")!;
    expect(await valueOf(fleet.volumeDevices.get("ws-standard-2")!)).toBe(`/dev/disk/by-id/scsi-0DO_Volume_${volume.inputs.name}`);
  });

  it("reports the private IP the VPC assigned, inside the stack's range", async () => {
    for (const server of fleet.servers) expect(await valueOf(server.privateIp)).toMatch(/^10\.20\./);
  });

  it("admits the load balancer's ports from the load balancer only", () => {
    const lb = mocks.ofType("digitalocean:index/loadBalancer:LoadBalancer")[0];
    const fw = mocks.ofType("digitalocean:index/firewall:Firewall").find((f) => f.name.includes("platform"))!;
    const lbRule = fw.inputs.inboundRules.find((r: any) => r.portRange === "8443");
    expect(lbRule).toEqual({ protocol: "tcp", portRange: "8443", sourceLoadBalancerUids: [lb.id] });
  });
});

describe("DigitalOcean configuration errors", () => {
  it("name the valid regions and sizes", async () => {
    const { digitaloceanRegionOf } = await import("../../../components/digitalocean/regions");
    const { digitaloceanCapacityOf } = await import("../../../components/digitalocean/droplet-sizes");
    expect(() => digitaloceanRegionOf("fra2")).toThrow(/not a known region.*fra1/);
    expect(() => digitaloceanCapacityOf("s-99vcpu", 10)).toThrow(/not supported.*s-4vcpu-8gb/);
  });
});
