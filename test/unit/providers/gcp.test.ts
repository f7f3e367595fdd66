import { beforeAll, describe, expect, it } from "vitest";
import { installPulumiMocks, valueOf, type MockRecorder } from "../../support/pulumi-mocks";
import { buildDirectFleet, type DirectFleet } from "../conformance/direct-fleet";

describe("the GCP provider", () => {
  let mocks: MockRecorder;
  let fleet: DirectFleet;
  beforeAll(async () => {
    mocks = installPulumiMocks();
    fleet = await buildDirectFleet({
      label: "gcp",
      provider: "gcp",
      location: "europe-west3",
      platform: { serverType: "e2-medium", loadBalancer: { ports: [{ listen: 443, target: 443 }], healthCheckPort: 443 } },
      pools: [
        { name: "standard", count: 10, serverType: "n2d-standard-2" },
        { name: "burst", count: 2, serverType: "e2-standard-2", spot: true, location: "europe-west3-b" },
      ],
    });
    await valueOf(fleet.platform.publicAddress);
    await new Promise((r) => setTimeout(r, 50));
  });

  const instances = () => mocks.ofType("gcp:compute/instance:Instance");

  it("turns off project-wide SSH keys, OS Login and the serial port on every instance", () => {
    expect(instances()).toHaveLength(13);
    for (const i of instances()) {
      expect(i.inputs.metadata).toMatchObject({ "block-project-ssh-keys": "true", "serial-port-enable": "false", "enable-oslogin": "FALSE" });
      expect(i.inputs.metadata["ssh-keys"]).toMatch(/^sandfleet:ssh-ed25519 /);
    }
  });

  it("installs cloud-init on Google's Debian image so the user-data metadata is applied", () => {
    for (const i of instances()) {
      expect(i.inputs.bootDisk.initializeParams.image).toBe("debian-cloud/debian-13");
      expect(i.inputs.metadata["startup-script"]).toContain("apt-get install -y -q --no-install-recommends cloud-init");
      expect(i.inputs.metadata["user-data"]).toMatch(/^#cloud-config/);
    }
  });

  it("attaches the data disk under the device name whose by-id path cloud-init mounts", async () => {
    const ws = instances().find((i) => i.inputs.name === "sandfleet-test-ws-standard-1")!;
    expect(ws.inputs.attachedDisks[0].deviceName).toBe("sandfleet-data");
    expect(await valueOf(fleet.volumeDevices.get("ws-standard-1")!)).toBe("/dev/disk/by-id/google-sandfleet-data");
  });

  // issue 10, finding: spot pools lose capacity silently. With STOP and automaticRestart false a preempted
  // VM stayed stopped for good (Pulumi still saw it, so nothing recreated it). DELETE makes the preemption
  // visible: the next `pulumi up` refreshes, sees the VM gone and recreates it; the data disk (autoDelete off) stays.
  it("runs the spot pool with the SPOT provisioning model in its own zone, deleted on preemption so the next up recreates it", () => {
    const burst = instances().filter((x) => x.inputs.name.includes("ws-burst"));
    expect(burst).toHaveLength(2);
    for (const i of burst) {
      expect(i.inputs.scheduling).toEqual({
        provisioningModel: "SPOT",
        preemptible: true,
        automaticRestart: false,
        onHostMaintenance: "TERMINATE",
        instanceTerminationAction: "DELETE",
      });
      expect(i.inputs.zone).toBe("europe-west3-b");
      expect(i.inputs.attachedDisks[0].autoDelete).toBeUndefined();
    }
  });

  it("spreads N2D pools with placement policies of at most eight instances over eight domains, whatever the count, and leaves E2 pools to the default placement", () => {
    const policies = mocks.ofType("gcp:compute/resourcePolicy:ResourcePolicy");
    expect(policies.map((p) => p.inputs.groupPlacementPolicy.availabilityDomainCount)).toEqual([8, 8]);
    for (const i of instances().filter((x) => x.inputs.name.includes("ws-burst"))) expect(i.inputs.resourcePolicies).toBeUndefined();
  });

  it("fronts the platform with a passthrough load balancer on a static address", async () => {
    const rule = mocks.ofType("gcp:compute/forwardingRule:ForwardingRule")[0];
    expect(rule.inputs.ports).toEqual(["443"]);
    const group = mocks.ofType("gcp:compute/instanceGroup:InstanceGroup")[0];
    expect(group.inputs.instances[0]).toContain("sandfleet-test-platform");
    expect(await valueOf(fleet.platform.loadBalancerIp!)).toBe(rule.inputs.ipAddress);
  });
});

describe("GCP configuration errors", () => {
  it("name the valid regions and zones", async () => {
    const { gcpPlacementOf } = await import("../../../components/gcp/regions");
    expect(() => gcpPlacementOf("europe-west9")).toThrow(/not a known region.*europe-west3/);
    expect(() => gcpPlacementOf("europe-west1-a")).toThrow(/europe-west1-b, europe-west1-c, europe-west1-d/);
    expect(gcpPlacementOf("us-east1")).toEqual({ region: "us-east1", zone: "us-east1-b" });
  });

  it("name the supported machine types", async () => {
    const { gcpCapacityOf } = await import("../../../components/gcp/machine-types");
    expect(() => gcpCapacityOf("n4-standard-2", 10)).toThrow(/not supported.*e2-medium/);
  });

  it("refuse a load balancer that would have to translate ports", async () => {
    const { checkPassthroughPorts } = await import("../../../components/gcp/network-rules");
    expect(() => checkPassthroughPorts([{ listen: 443, target: 8443 }])).toThrow(/cannot translate ports \(443->8443\).*target equal to its listen port/);
    expect(() => checkPassthroughPorts([{ listen: 443, target: 443 }])).not.toThrow();
  });
});
