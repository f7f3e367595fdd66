/**
 * Outputs of mocked @pulumi/azure-native resources: ARM ids and names as the API returns them (the
 * program builds load balancer child ids from the resource group's id); public IPs from documentation
 * ranges (RFC 5737): servers 203.0.113.0/24, load balancers 192.0.2.0/24.
 */
import type { MockResourceArgs } from "@pulumi/pulumi/runtime";
import type { OutputsFn } from "./index";
import { docAddress } from "./documentation-address";

const subscription = "/subscriptions/00000000-0000-0000-0000-000000000000";

const armResource =
  (provider: string, kind: string, nameInput: string) =>
  (args: MockResourceArgs, n: number): Record<string, any> => {
    const name = args.inputs[nameInput] ?? `${args.name}${n.toString(16)}`;
    return { __id: `${subscription}/resourceGroups/${args.inputs.resourceGroupName}/providers/${provider}/${kind}/${name}`, name };
  };

export const outputs: Record<string, OutputsFn> = {
  "azure-native:resources:ResourceGroup": (args, n) => {
    const name = args.inputs.resourceGroupName ?? `${args.name}${n.toString(16)}`;
    return { __id: `${subscription}/resourceGroups/${name}`, name };
  },
  "azure-native:network:VirtualNetwork": armResource("Microsoft.Network", "virtualNetworks", "virtualNetworkName"),
  "azure-native:network:Subnet": (args, n) => ({
    __id: `${subscription}/resourceGroups/${args.inputs.resourceGroupName}/providers/Microsoft.Network/virtualNetworks/${args.inputs.virtualNetworkName}/subnets/${args.inputs.subnetName ?? `${args.name}${n}`}`,
  }),
  "azure-native:network:NetworkSecurityGroup": armResource("Microsoft.Network", "networkSecurityGroups", "networkSecurityGroupName"),
  "azure-native:network:NetworkInterface": armResource("Microsoft.Network", "networkInterfaces", "networkInterfaceName"),
  // ARM returns every child of a load balancer with its id under the load balancer's own.
  "azure-native:network:LoadBalancer": (args, n) => {
    const lb = armResource("Microsoft.Network", "loadBalancers", "loadBalancerName")(args, n);
    const pools = (args.inputs.backendAddressPools ?? []) as { name: string }[];
    return { ...lb, backendAddressPools: pools.map((pool) => ({ ...pool, id: `${lb.__id}/backendAddressPools/${pool.name}` })) };
  },
  "azure-native:network:PublicIPAddress": (args, n) => ({
    ...armResource("Microsoft.Network", "publicIPAddresses", "publicIpAddressName")(args, n),
    ipAddress: docAddress(args.name.endsWith("-lb-ip") ? "192.0.2" : "203.0.113", n),
  }),
  "azure-native:compute:VirtualMachine": (args, n) => ({
    ...armResource("Microsoft.Compute", "virtualMachines", "vmName")(args, n),
    vmId: `00000000-0000-0000-0000-${String(n).padStart(12, "0")}`,
  }),
  "azure-native:compute:Disk": armResource("Microsoft.Compute", "disks", "diskName"),
  "azure-native:compute:AvailabilitySet": armResource("Microsoft.Compute", "availabilitySets", "availabilitySetName"),
};

export const calls = {};
