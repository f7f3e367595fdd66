import { beforeAll, describe, expect, it } from "vitest";
import { installPulumiMocks, valueOf, type MockRecorder } from "../../support/pulumi-mocks";
import { buildDirectFleet, type DirectFleet } from "../conformance/direct-fleet";

describe("the AWS provider", () => {
  let mocks: MockRecorder;
  let fleet: DirectFleet;
  beforeAll(async () => {
    mocks = installPulumiMocks();
    fleet = await buildDirectFleet({
      label: "aws",
      provider: "aws",
      location: "eu-central-1",
      platform: { serverType: "t3.medium", loadBalancer: { ports: [{ listen: 443, target: 8443 }, { listen: 80, target: 8080 }], healthCheckPort: 8080 } },
      pools: [
        { name: "standard", count: 9, serverType: "m6i.large" },
        { name: "burst", count: 2, serverType: "c6i.large", spot: true, location: "eu-central-1b" },
      ],
    });
    await valueOf(fleet.platform.publicAddress);
    await new Promise((r) => setTimeout(r, 50));
  });

  it("requires IMDSv2 with a hop limit of 1 on every instance", () => {
    const instances = mocks.ofType("aws:ec2/instance:Instance");
    expect(instances).toHaveLength(12);
    for (const i of instances) expect(i.inputs.metadataOptions).toMatchObject({ httpTokens: "required", httpPutResponseHopLimit: 1 });
  });

  it("sends user-data gzip-compressed, which keeps it under EC2's 16 KB limit and cloud-init reads as is", async () => {
    const { gunzipSync } = await import("node:zlib");
    const ws = mocks.ofType("aws:ec2/instance:Instance").find((i) => i.name === "sandfleet-test-ws-standard-1")!;
    expect(ws.inputs.userData).toBeUndefined();
    expect(gunzipSync(Buffer.from(ws.inputs.userDataBase64, "base64")).toString()).toMatch(/^#cloud-config\n# role: workspace\nhostname: ws-standard-1/);
  });

  it("boots the newest official Debian 13 AMI looked up from Debian's account", () => {
    for (const i of mocks.ofType("aws:ec2/instance:Instance")) expect(i.inputs.ami).toBe("ami-0123456789abcdef0");
  });

  it("encrypts root and data volumes", () => {
    for (const i of mocks.ofType("aws:ec2/instance:Instance")) expect(i.inputs.rootBlockDevice.encrypted).toBe(true);
    const volumes = mocks.ofType("aws:ebs/volume:Volume");
    expect(volumes).toHaveLength(12);
    for (const v of volumes) expect(v.inputs.encrypted).toBe(true);
  });

  it("hands cloud-init the NVMe by-id path of the volume it attaches", async () => {
    const attachment = mocks.ofType("aws:ec2/volumeAttachment:VolumeAttachment").find((a) => a.name === "sandfleet-test-ws-standard-1-data")!;
    const device = await valueOf(fleet.volumeDevices.get("ws-standard-1")!);
    expect(device).toBe(`/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${attachment.inputs.volumeId.replace("-", "")}`);
  });

  // issue 10, finding: spot pools lose capacity silently. A stopped-and-restarted spot instance came back
  // with a new public IPv4 while the registry and the certificate SANs held the old one, and a persistent
  // request could outlive the instance on destroy. One-time requests that terminate make an interruption
  // visible to Pulumi: the next `pulumi up` refreshes, sees the instance gone and recreates it, addresses and all.
  it("runs a spot pool as one-time requests that terminate on interruption, so the next up recreates them", () => {
    const burst = mocks.ofType("aws:ec2/instance:Instance").filter((i) => i.name.includes("ws-burst"));
    expect(burst).toHaveLength(2);
    for (const i of burst) {
      expect(i.inputs.instanceMarketOptions).toEqual({
        marketType: "spot",
        spotOptions: { spotInstanceType: "one-time", instanceInterruptionBehavior: "terminate" },
      });
      expect(i.inputs.availabilityZone).toBe("eu-central-1b");
    }
  });

  it("keeps a spot server's data volume when the instance is interrupted, so the recreated one gets it back", () => {
    const volumes = mocks.ofType("aws:ebs/volume:Volume").filter((v) => v.name.includes("ws-burst"));
    const attachments = mocks.ofType("aws:ec2/volumeAttachment:VolumeAttachment").filter((a) => a.name.includes("ws-burst"));
    expect(volumes).toHaveLength(2);
    expect(attachments).toHaveLength(2);
    // A separate EBS volume is not deleted with the instance (only the root device is deleteOnTermination).
    for (const a of attachments) expect(volumes.map((v) => v.id)).toContain(a.inputs.volumeId);
  });

  it("splits a spread pool into placement groups of at most seven instances", () => {
    const groups = mocks.ofType("aws:ec2/placementGroup:PlacementGroup").filter((g) => g.name.includes("pool-standard"));
    expect(groups.map((g) => g.inputs.strategy)).toEqual(["spread", "spread"]);
  });

  it("puts each address block in its own subnet in the zone of its servers", () => {
    const subnets = mocks.ofType("aws:ec2/subnet:Subnet").map((s) => [s.inputs.cidrBlock, s.inputs.availabilityZone]);
    expect(subnets).toHaveLength(3);
    expect(subnets).toContainEqual(["10.20.0.0/24", "eu-central-1a"]);
  });

  it("gives the NLB a fixed Elastic IP and forwards each listen port to its target port", () => {
    const listeners = mocks.ofType("aws:lb/listener:Listener").map((l) => l.inputs.port).sort();
    expect(listeners).toEqual([443, 80].sort());
    const groups = mocks.ofType("aws:lb/targetGroup:TargetGroup");
    expect(groups.map((g) => g.inputs.port).sort()).toEqual([8080, 8443]);
    for (const g of groups) expect(g.inputs.preserveClientIp).toBe("false");
    const nlb = mocks.ofType("aws:lb/loadBalancer:LoadBalancer")[0];
    expect(nlb.inputs.subnetMappings[0].allocationId).toMatch(/^eipalloc-/);
  });

  it("admits the load balancer's ports only from the platform's subnet", () => {
    const sg = mocks.ofType("aws:ec2/securityGroup:SecurityGroup").find((s) => s.name.endsWith("platform-sg"))!;
    const lbRules = sg.inputs.ingress.filter((r: any) => r.fromPort !== 22);
    expect(lbRules.map((r: any) => r.fromPort).sort()).toEqual([8080, 8443]);
    for (const r of lbRules) expect(r.cidrBlocks).toEqual(["10.20.0.0/24"]);
  });
});

describe("AWS configuration errors", () => {
  it("name the valid regions for an unknown region", async () => {
    const { awsPlacementOf } = await import("../../../components/aws/regions");
    expect(() => awsPlacementOf("mars-north-1")).toThrow(/not a known region.*eu-central-1/);
    expect(awsPlacementOf("us-west-2c")).toEqual({ region: "us-west-2", availabilityZone: "us-west-2c" });
  });

  it("name the supported instance types for an unknown type", async () => {
    const { awsCapacityOf } = await import("../../../components/aws/instance-types");
    expect(() => awsCapacityOf("t2.micro", 10)).toThrow(/not supported.*m6i\.large.*extraInstanceTypes/);
    expect(awsCapacityOf("m6i.large", 40)).toEqual({ cpus: 2, memoryMb: 8192, diskGb: 40 });
  });

  it("refuse user-data that stays above 16 KB after compression", async () => {
    const { ec2UserDataBase64 } = await import("../../../components/aws/site");
    const { randomBytes } = await import("node:crypto");
    expect(() => ec2UserDataBase64(randomBytes(20000).toString("base64"), "ws-x-1")).toThrow(/ws-x-1 is \d+ bytes gzip-compressed, above EC2's limit of 16384/);
  });

  it("refuse to serve the SSH or Docker ports publicly", async () => {
    const { platformIngressRules, workspaceIngressRules } = await import("../../../components/aws/network-rules");
    expect(() => platformIngressRules(["10.0.0.1/32"], [2376])).toThrow(/never served publicly/);
    expect(() => workspaceIngressRules(["10.0.0.1/32"], ["0.0.0.0/0"])).toThrow(/whole internet/);
    expect(() => workspaceIngressRules(["0.0.0.0/0"], ["10.0.0.0/16"])).toThrow(/opens SSH/);
  });
});
