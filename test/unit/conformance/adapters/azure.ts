/** Azure: VM -> NIC -> network security group; data disks referenced by the VM; NICs join the load balancer's backend pool. */
import type { MockRecorder, RecordedResource } from "../../../support/pulumi-mocks";
import { byId, hostnameOf, type ProviderAdapter, type ViewServer } from "./fleet-view";
import { inboundRulesOf } from "./inbound-rules";

const customData = (vm: RecordedResource) => Buffer.from(vm.inputs.osProfile?.customData ?? "", "base64").toString("utf8");

export const azureAdapter: ProviderAdapter = {
  servers(mocks: MockRecorder): ViewServer[] {
    const ids = byId(mocks);
    return mocks.ofType("azure-native:compute:VirtualMachine").map((vm) => {
      const nics = (vm.inputs.networkProfile?.networkInterfaces ?? []).map((n: any) => ids.get(n.id)!);
      const rules = nics.flatMap((nic: RecordedResource) => {
        const nsg = nic.inputs.networkSecurityGroup ? ids.get(nic.inputs.networkSecurityGroup.id) : undefined;
        return nsg ? inboundRulesOf(nsg) : [];
      });
      const volumes = (vm.inputs.storageProfile?.dataDisks ?? []).map((d: any) => {
        const disk = ids.get(d.managedDisk?.id);
        return { origin: disk?.name ?? String(d.managedDisk?.id), encrypted: disk?.inputs.encryption?.type?.startsWith("EncryptionAtRest") === true };
      });
      // A Standard SKU, statically allocated public IP on the primary NIC is the VM's stable address.
      const pip = nics[0] && ids.get(nics[0].inputs.ipConfigurations?.[0]?.publicIPAddress?.id);
      const stable = pip && pip.inputs.publicIPAllocationMethod === "Static" && pip.inputs.sku?.name === "Standard";
      const userData = customData(vm);
      return { hostname: hostnameOf(userData), resource: vm, userData, rules, volumes, stableIp: stable ? pip.state.ipAddress : undefined, publicIp: pip?.state.ipAddress };
    });
  },
  loadBalancerPoolTypes: ["azure-native:network:LoadBalancer"],
  loadBalancerTargets(mocks) {
    const pools = new Set(
      mocks.ofType("azure-native:network:LoadBalancer").flatMap((lb) => (lb.inputs.loadBalancingRules ?? []).map((r: any) => r.backendAddressPool.id)),
    );
    const nics = mocks
      .ofType("azure-native:network:NetworkInterface")
      .filter((nic) => (nic.inputs.ipConfigurations ?? []).some((c: any) => (c.loadBalancerBackendAddressPools ?? []).some((p: any) => pools.has(p.id))));
    const nicIds = new Set(nics.map((n) => String(n.state.__id)));
    return mocks
      .ofType("azure-native:compute:VirtualMachine")
      .filter((vm) => (vm.inputs.networkProfile?.networkInterfaces ?? []).some((n: any) => nicIds.has(n.id)))
      .map((vm) => hostnameOf(customData(vm)));
  },
};
