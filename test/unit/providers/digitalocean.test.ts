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

  it("boots Debian 13 Droplets in the stack's VPC", () => {
    const vpc = mocks.ofType("digitalocean:index/vpc:Vpc")[0];
    expect(vpc.inputs.ipRange).toBe(networkCidr);
    for (const d of mocks.ofType("digitalocean:index/droplet:Droplet")) expect(d.inputs).toMatchObject({ image: "debian-13-x64", region: "fra1", vpcUuid: vpc.id });
  });

  it("hands cloud-init the by-id path named after the volume it attaches", async () => {
    const volume = mocks.ofType("digitalocean:index/volume:Volume").find((v) => /^sandfleet-test-ws-standard-2-data-[0-9a-z]+$/.test(v.inputs.name))!;
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

describe("DigitalOcean VPC ranges", () => {
  // DigitalOcean refuses a VPC range that overlaps another VPC of the account, or is larger than /16
  // (docs.digitalocean.com, digitalocean_vpc ip_range); both surfaced only at `pulumi up` before.
  const doStack = (extra: Record<string, unknown> = {}) => ({
    "sandfleet:provider": "digitalocean",
    "sandfleet:location": "fra1",
    "sandfleet:adminCidrs": ["198.51.100.0/24"],
    "sandfleet:platform": { serverType: "s-2vcpu-4gb" },
    "sandfleet:pools": { standard: { count: 2, serverType: "s-4vcpu-8gb", maxContainers: 10 } },
    ...extra,
  });

  it("refuses to default every stack of an account to the same range: networkCidr must be set", async () => {
    const { parseStackConfig } = await import("../../../stacks/config");
    expect(() => parseStackConfig(doStack(), "dev")).toThrow(/sandfleet:networkCidr: .*DigitalOcean.*overlap.*e\.g\. 10\.1\.0\.0\/16/s);
    expect(parseStackConfig(doStack({ "sandfleet:networkCidr": "10.1.0.0/16" }), "dev").networkCidr).toBe("10.1.0.0/16");
  });

  it("asks for the range also when only a pool runs on DigitalOcean", async () => {
    const { parseStackConfig } = await import("../../../stacks/config");
    const mixed = doStack({
      "sandfleet:provider": "hetzner",
      "sandfleet:location": "fsn1",
      "sandfleet:platform": { serverType: "cx23" },
      "sandfleet:pools": { burst: { provider: "digitalocean", location: "fra1", count: 1, serverType: "s-4vcpu-8gb", maxContainers: 10 } },
    });
    expect(() => parseStackConfig(mixed, "mixed")).toThrow(/sandfleet:networkCidr: .*DigitalOcean/s);
  });

  it("refuses a range larger than /16 at preview, naming the setting and the rule", async () => {
    const { parseStackConfig } = await import("../../../stacks/config");
    expect(() => parseStackConfig(doStack({ "sandfleet:networkCidr": "10.0.0.0/15" }), "dev")).toThrow(
      /sandfleet:networkCidr: 10\.0\.0\.0\/15 is larger than DigitalOcean allows for a VPC \(\/16 at most\)/,
    );
  });

  it("keeps the other providers' default range", async () => {
    const { parseStackConfig } = await import("../../../stacks/config");
    const hetzner = doStack({ "sandfleet:provider": "hetzner", "sandfleet:location": "fsn1", "sandfleet:platform": { serverType: "cx23" }, "sandfleet:pools": { standard: { count: 1, serverType: "cx33", maxContainers: 10 } } });
    expect(parseStackConfig(hetzner, "dev").networkCidr).toBe("10.0.0.0/16");
  });
});
