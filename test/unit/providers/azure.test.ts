import { beforeAll, describe, expect, it } from "vitest";
import { installPulumiMocks, valueOf, type MockRecorder } from "../../support/pulumi-mocks";
import { buildDirectFleet, type DirectFleet } from "../conformance/direct-fleet";

describe("the Azure provider", () => {
  let mocks: MockRecorder;
  let fleet: DirectFleet;
  beforeAll(async () => {
    mocks = installPulumiMocks();
    fleet = await buildDirectFleet({
      label: "azure",
      provider: "azure",
      location: "westeurope",
      platform: { serverType: "Standard_B2s", loadBalancer: { ports: [{ listen: 443, target: 8443 }], healthCheckPort: 8443 } },
      pools: [
        { name: "standard", count: 3, serverType: "Standard_D2as_v5" },
        { name: "burst", count: 2, serverType: "Standard_F4s_v2", spot: true },
      ],
    });
    await valueOf(fleet.platform.publicAddress);
    await new Promise((r) => setTimeout(r, 50));
  });
  const vms = () => mocks.ofType("azure-native:compute:VirtualMachine");

  it("boots Debian 13 Gen2 with SSH keys only and cloud-init in base64 customData", () => {
    expect(vms()).toHaveLength(6);
    for (const vm of vms()) {
      expect(vm.inputs.storageProfile.imageReference).toEqual({ publisher: "Debian", offer: "debian-13", sku: "13-gen2", version: "latest" });
      expect(vm.inputs.osProfile.adminUsername).toBe("sandfleet");
      expect(vm.inputs.osProfile.linuxConfiguration.disablePasswordAuthentication).toBe(true);
      expect(Buffer.from(vm.inputs.osProfile.customData, "base64").toString()).toMatch(/^#cloud-config/);
    }
  });

  it("attaches the encrypted data disk at LUN 0, the device cloud-init mounts", async () => {
    for (const vm of vms()) expect(vm.inputs.storageProfile.dataDisks[0]).toMatchObject({ lun: 0, createOption: "Attach" });
    for (const d of mocks.ofType("azure-native:compute:Disk")) expect(d.inputs.encryption.type).toBe("EncryptionAtRestWithPlatformKey");
    expect(await valueOf(fleet.volumeDevices.get("ws-burst-1")!)).toBe("/dev/disk/azure/scsi1/lun0");
  });

  it("puts the platform NIC into the load balancer's backend pool through the LoadBalancer itself, so create and destroy wait for each other", () => {
    const lb = mocks.ofType("azure-native:network:LoadBalancer")[0];
    const inPool = mocks.ofType("azure-native:network:NetworkInterface").filter((n) => n.inputs.ipConfigurations[0].loadBalancerBackendAddressPools);
    expect(inPool).toHaveLength(1);
    // A hand-built pool id carries no dependency: Azure then races the NIC against the pool it names.
    expect(inPool[0].dependencies.some((urn) => urn.endsWith(`azure-native:network:LoadBalancer::${lb.name}`))).toBe(true);
    expect(inPool[0].inputs.ipConfigurations[0].loadBalancerBackendAddressPools).toEqual([{ id: lb.state.backendAddressPools[0].id }]);
  });

  it("gives every NIC the private IP the core planned", () => {
    const ips = mocks.ofType("azure-native:network:NetworkInterface").map((n) => n.inputs.ipConfigurations[0].privateIPAddress);
    expect(ips).toContain("10.20.0.10");
    for (const nic of mocks.ofType("azure-native:network:NetworkInterface")) expect(nic.inputs.ipConfigurations[0].privateIPAllocationMethod).toBe("Static");
  });

  it("runs the spot pool as deallocating spot VMs outside availability sets", () => {
    const burst = vms().filter((vm) => vm.inputs.vmName.includes("ws-burst"));
    for (const vm of burst) expect(vm).toMatchObject({ inputs: { priority: "Spot", evictionPolicy: "Deallocate" } });
    for (const vm of burst) expect(vm.inputs.availabilitySet).toBeUndefined();
    const standard = vms().filter((vm) => vm.inputs.vmName.includes("ws-standard"));
    for (const vm of standard) expect(vm.inputs.availabilitySet.id).toContain("availabilitySets");
  });

  it("denies the rest of the virtual network after the allowed sources", () => {
    for (const nsg of mocks.ofType("azure-native:network:NetworkSecurityGroup")) {
      const deny = nsg.inputs.securityRules.find((r: any) => r.access === "Deny");
      expect(deny).toMatchObject({ sourceAddressPrefix: "VirtualNetwork", destinationPortRange: "*", priority: 4000 });
      for (const allow of nsg.inputs.securityRules.filter((r: any) => r.access === "Allow")) expect(allow.priority).toBeLessThan(4000);
    }
  });

  it("puts the platform NIC into the Standard load balancer's backend pool", () => {
    const lb = mocks.ofType("azure-native:network:LoadBalancer")[0];
    expect(lb.inputs.sku.name).toBe("Standard");
    expect(lb.inputs.loadBalancingRules[0]).toMatchObject({ frontendPort: 443, backendPort: 8443 });
    const nic = mocks.ofType("azure-native:network:NetworkInterface").find((n) => n.name.includes("platform"))!;
    expect(nic.inputs.ipConfigurations[0].loadBalancerBackendAddressPools[0].id).toBe(lb.inputs.loadBalancingRules[0].backendAddressPool.id);
  });
});

describe("Azure configuration errors", () => {
  it("name the valid regions and VM sizes", async () => {
    const { azureRegionOf } = await import("../../../components/azure/regions");
    const { azureCapacityOf } = await import("../../../components/azure/vm-sizes");
    expect(() => azureRegionOf("West Europe")).toThrow(/not a known region.*westeurope/);
    expect(() => azureCapacityOf("Standard_D2ds_v6", 10)).toThrow(/not supported.*Standard_D2as_v5/);
  });

  it("refuse admin user names Azure reserves", async () => {
    const { azureConfigSchema } = await import("../../../components/azure/config");
    expect(() => azureConfigSchema.parse({ sshUser: "admin" })).toThrow(/reserved by Azure/);
  });
});
