/**
 * The Azure site: a resource group with one virtual network and subnet over the stack's range, a network
 * security group per role (attached to the NICs), static public IPs, NICs with the core's static
 * private IPs, Debian 13 VMs with cloud-init in base64 `customData` and SSH keys only, managed data disks
 * at LUN 0, availability sets for spread and a Standard load balancer for the platform.
 */
import * as azure from "@pulumi/azure-native";
import * as pulumi from "@pulumi/pulumi";
import type {
  PlatformSpec,
  ProviderSite,
  ProvisionedPlatform,
  ProvisionedServer,
  ServerSpec,
  SiteArgs,
  WorkspacePoolSpec,
} from "../provider";
import { type AzureConfig, azureConfigSchema } from "./config";
import { platformInboundRules, workspaceInboundRules, type AzureInboundRule } from "./network-rules";
import { azureRegionOf } from "./regions";
import { azureCapacityOf } from "./vm-sizes";

/** LUN of the data disk; udev (Azure's storage rules in the image) links it as /dev/disk/azure/scsi1/lun<N>. */
export const dataDiskLun = 0;
export const dataDiskDevice = `/dev/disk/azure/scsi1/lun${dataDiskLun}`;

/** Azure resource names here: letters, digits, `-`; at most 64 (VM names double as host names). */
export function azureName(...parts: string[]): string {
  return parts.join("-").replace(/[^A-Za-z0-9-]+/g, "-").replace(/-+/g, "-").slice(0, 64).replace(/-+$/, "");
}

/** A security rule in the shape the API accepts (single values in the singular fields: service tags need them). */
function securityRule(rule: AzureInboundRule): azure.types.input.network.SecurityRuleArgs {
  const [source] = rule.sourceAddressPrefixes;
  const [port] = rule.destinationPortRanges;
  return {
    name: rule.name,
    priority: rule.priority,
    direction: "Inbound",
    access: rule.access,
    protocol: rule.protocol,
    description: rule.description,
    sourcePortRange: "*",
    destinationAddressPrefix: "*",
    ...(rule.sourceAddressPrefixes.length === 1 ? { sourceAddressPrefix: source } : { sourceAddressPrefixes: rule.sourceAddressPrefixes }),
    ...(rule.destinationPortRanges.length === 1 ? { destinationPortRange: port } : { destinationPortRanges: rule.destinationPortRanges }),
  };
}

export class AzureSite extends pulumi.ComponentResource implements ProviderSite {
  public readonly resourceGroupName: pulumi.Output<string>;
  /** The login user the core renders cloud-init for and the post-boot step uses. */
  public readonly sshUser: string;
  /** customData decodes to at most 65535 bytes (OSProfile.customData, Azure compute API, checked 2026-12-01). */
  public readonly maxUserDataBytes = 65535;
  private readonly args: SiteArgs;
  private readonly config: AzureConfig;
  private readonly location: string;
  private readonly resourceGroup: azure.resources.ResourceGroup;
  private readonly subnet: azure.network.Subnet;

  constructor(name: string, args: SiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sandfleet:azure:Site", name, {}, opts);
    this.args = args;
    this.config = azureConfigSchema.parse(args.providerConfig ?? {});
    this.sshUser = this.config.sshUser;
    this.location = azureRegionOf(args.location);
    const location = this.location;
    // Deleting a resource group deletes everything in it, disks kept by retainVolumes included
    // (pulumi-azure-native #2522, open, checked 2026-12-01): under retainVolumes the group is kept too, holding
    // only the kept disks after `destroy`. It is auto-named, so the next `up` makes a new one.
    this.resourceGroup = new azure.resources.ResourceGroup(
      `${name}-rg`,
      { location, tags: args.tags },
      { parent: this, retainOnDelete: args.protection.retainVolumes },
    );
    const resourceGroupName = this.resourceGroup.name;
    const vnet = new azure.network.VirtualNetwork(
      `${name}-vnet`,
      { resourceGroupName, location, addressSpace: { addressPrefixes: [args.networkCidr] }, tags: args.tags },
      // Subnets are separate resources: keep the VNet from removing them on its next update.
      { parent: this, ignoreChanges: ["subnets"] },
    );
    // One subnet over the whole range; Azure keeps the first four and the last address of it, which
    // the core's address plan never uses.
    this.subnet = new azure.network.Subnet(
      `${name}-subnet`,
      {
        resourceGroupName,
        virtualNetworkName: vnet.name,
        addressPrefix: args.networkCidr,
        // Outbound goes through each VM's own public IP, never Azure's implicit default outbound access.
        defaultOutboundAccess: false,
      },
      { parent: this },
    );
    this.resourceGroupName = resourceGroupName;
    this.registerOutputs({ resourceGroupName });
  }

  createPlatform(spec: PlatformSpec): ProvisionedPlatform {
    const name = this.childName(spec.name);
    this.checkLocation(spec);
    const lb = spec.loadBalancer;
    const nsg = this.securityGroup(
      `${name}-nsg`,
      platformInboundRules(this.args.adminCidrs, spec.publicPorts, lb ? { ports: lb.ports.map((p) => p.target), healthCheckPort: lb.healthCheckPort } : undefined),
    );
    const loadBalancer = lb ? this.createLoadBalancer(name, spec) : undefined;
    const server = this.createServer(spec, "platform", nsg.id, { backendPoolId: loadBalancer?.backendPoolId });
    return {
      ...this.provisioned(spec, "platform", server),
      // Standard public IPs are static: the platform's own address is its stable address.
      publicAddress: server.publicIp.ipAddress.apply((ip) => ip ?? ""),
      loadBalancerIp: loadBalancer?.address,
    };
  }

  createWorkspacePool(spec: WorkspacePoolSpec): ProvisionedServer[] {
    const name = this.childName(`pool-${spec.name}`);
    const rules = pulumi.all(spec.dockerApiSources).apply((s) => workspaceInboundRules(this.args.adminCidrs, s).map(securityRule));
    const nsg = new azure.network.NetworkSecurityGroup(
      `${name}-nsg`,
      { resourceGroupName: this.resourceGroup.name, location: this.location, securityRules: rules, tags: this.args.tags },
      { parent: this },
    );
    // Availability sets spread VMs over fault and update domains; Azure takes no spot VMs in them.
    const availabilitySet =
      spec.spread && !spec.spot
        ? new azure.compute.AvailabilitySet(
            `${name}-spread`,
            {
              resourceGroupName: this.resourceGroup.name,
              location: this.location,
              platformFaultDomainCount: 2,
              platformUpdateDomainCount: 5,
              sku: { name: "Aligned" },
              tags: this.args.tags,
            },
            { parent: this },
          )
        : undefined;
    return spec.servers.map((serverSpec) => {
      this.checkLocation(serverSpec);
      const server = this.createServer(serverSpec, "workspace", nsg.id, { spot: spec.spot, availabilitySetId: availabilitySet?.id, pool: spec.name });
      return { ...this.provisioned(serverSpec, "workspace", server), pool: spec.name };
    });
  }

  private createServer(
    spec: ServerSpec,
    role: "platform" | "workspace",
    nsgId: pulumi.Input<string>,
    options: { backendPoolId?: pulumi.Input<string>; spot?: boolean; availabilitySetId?: pulumi.Input<string>; pool?: string },
  ): { vm: azure.compute.VirtualMachine; publicIp: azure.network.PublicIPAddress; disk?: azure.compute.Disk } {
    const name = this.childName(spec.name);
    const resourceGroupName = this.resourceGroup.name;
    const location = this.location;
    azureCapacityOf(spec.serverType, spec.volumeGb, this.config.extraVmSizes);
    const tags = { ...this.args.tags, ...spec.labels, role, ...(options.pool ? { pool: options.pool } : {}) };

    const publicIp = new azure.network.PublicIPAddress(
      `${name}-ip`,
      { resourceGroupName, location, sku: { name: "Standard", tier: "Regional" }, publicIPAllocationMethod: "Static", publicIPAddressVersion: "IPv4", tags },
      { parent: this, protect: role === "platform" && this.args.protection.deleteProtection },
    );
    const nic = new azure.network.NetworkInterface(
      `${name}-nic`,
      {
        resourceGroupName,
        location,
        networkSecurityGroup: { id: nsgId },
        ipConfigurations: [
          {
            name: "primary",
            primary: true,
            subnet: { id: this.subnet.id },
            privateIPAllocationMethod: "Static",
            privateIPAddress: spec.privateIp,
            publicIPAddress: { id: publicIp.id },
            loadBalancerBackendAddressPools: options.backendPoolId ? [{ id: options.backendPoolId }] : undefined,
          },
        ],
        tags,
      },
      { parent: this },
    );
    const disk =
      spec.volumeGb > 0
        ? new azure.compute.Disk(
            `${name}-data`,
            {
              resourceGroupName,
              location,
              creationData: { createOption: "Empty" },
              diskSizeGB: spec.volumeGb,
              sku: { name: this.config.diskSku },
              // Azure encrypts managed disks at rest with platform keys; stated so it is never silently off.
              encryption: { type: "EncryptionAtRestWithPlatformKey" },
              networkAccessPolicy: "DenyAll",
              publicNetworkAccess: "Disabled",
              tags,
            },
            { parent: this, retainOnDelete: this.args.protection.retainVolumes },
          )
        : undefined;
    const user = this.config.sshUser;
    const userData = spec.userData(disk ? pulumi.output(dataDiskDevice) : undefined);
    const vm = new azure.compute.VirtualMachine(
      name,
      {
        resourceGroupName,
        location,
        vmName: azureName(this.args.name, spec.name),
        hardwareProfile: { vmSize: spec.serverType },
        storageProfile: {
          imageReference: { ...this.config.image },
          osDisk: {
            createOption: "FromImage",
            diskSizeGB: this.config.osDiskGb,
            managedDisk: { storageAccountType: this.config.diskSku },
            deleteOption: "Delete",
          },
          dataDisks: disk ? [{ lun: dataDiskLun, createOption: "Attach", managedDisk: { id: disk.id }, deleteOption: "Detach" }] : [],
        },
        osProfile: {
          computerName: azureName(spec.name),
          adminUsername: user,
          customData: userData.apply((text) => Buffer.from(text, "utf8").toString("base64")),
          linuxConfiguration: {
            disablePasswordAuthentication: true,
            ssh: {
              publicKeys: this.args.sshPublicKeys.map((keyData) => ({
                path: `/home/${user}/.ssh/authorized_keys`,
                keyData: pulumi.output(keyData).apply((k) => k.trim()),
              })),
            },
            provisionVMAgent: true,
          },
        },
        // Detach, not Delete: the NIC holds the static private IP and the public IP and is a resource of its
        // own, so a replaced VM (deleted first, below) leaves it behind for its successor to take over.
        networkProfile: { networkInterfaces: [{ id: nic.id, primary: true, deleteOption: "Detach" }] },
        availabilitySet: options.availabilitySetId ? { id: options.availabilitySetId } : undefined,
        ...(options.spot
          ? {
              priority: "Spot",
              // Deallocate keeps disks and addresses; the VM starts again when capacity returns.
              evictionPolicy: "Deallocate",
              billingProfile: { maxPrice: this.config.spotMaxPrice },
            }
          : {}),
        tags,
      },
      // Azure replaces a VM when customData changes: a re-rendered cloud-init must never silently replace
      // the fleet (nor a newer image version); roll servers deliberately with `pulumi up --replace <urn>`.
      // Delete before replace: the VM's name is fixed and its NIC can belong to one VM only, so the new VM
      // can exist only once the old one is gone (a replacing change: vmName, availabilitySet, priority, or --replace).
      {
        parent: this,
        protect: this.args.protection.deleteProtection,
        ignoreChanges: ["osProfile.customData", "storageProfile.imageReference"],
        deleteBeforeReplace: true,
        // Azure cannot change these on an existing VM (Regular <-> Spot: Azure/azure-cli#11187; availabilitySet.id:
        // 409 "Changing property ... is not allowed"), yet azure-native plans them as updates that then fail at
        // `up` (pulumi-azure-native#577, open 2026-12-01). Toggling a pool's spot/spread replaces its VMs instead.
        replaceOnChanges: ["priority", "availabilitySet"],
      },
    );
    return { vm, publicIp, disk };
  }

  /** Standard public load balancer; its own static IP, rules listen -> target, a TCP probe. */
  private createLoadBalancer(name: string, spec: PlatformSpec): { address: pulumi.Output<string>; backendPoolId: pulumi.Output<string> } {
    const lb = spec.loadBalancer!;
    const resourceGroupName = this.resourceGroup.name;
    const lbName = azureName(name, "lb");
    const address = new azure.network.PublicIPAddress(
      `${name}-lb-ip`,
      { resourceGroupName, location: this.location, sku: { name: "Standard", tier: "Regional" }, publicIPAllocationMethod: "Static", tags: this.args.tags },
      { parent: this },
    );
    // The rules name the load balancer's own children, whose ids are known before it exists (its name is
    // fixed). Everything outside it (the platform NIC) takes the pool id from the LoadBalancer's outputs
    // instead: that carries the dependency, so Azure creates the pool before the NIC joins it and the NIC
    // leaves it before the load balancer is deleted.
    const childId = (kind: string, child: string) =>
      pulumi.interpolate`${this.resourceGroup.id}/providers/Microsoft.Network/loadBalancers/${lbName}/${kind}/${child}`;
    const loadBalancer = new azure.network.LoadBalancer(
      `${name}-lb`,
      {
        resourceGroupName,
        location: this.location,
        loadBalancerName: lbName,
        sku: { name: "Standard", tier: "Regional" },
        frontendIPConfigurations: [{ name: "frontend", publicIPAddress: { id: address.id } }],
        backendAddressPools: [{ name: "platform" }],
        probes: [{ name: "health", protocol: "Tcp", port: lb.healthCheckPort, intervalInSeconds: 10, numberOfProbes: 2 }],
        loadBalancingRules: lb.ports.map(({ listen, target }) => ({
          name: `tcp-${listen}`,
          protocol: "Tcp",
          frontendPort: listen,
          backendPort: target,
          frontendIPConfiguration: { id: childId("frontendIPConfigurations", "frontend") },
          backendAddressPool: { id: childId("backendAddressPools", "platform") },
          probe: { id: childId("probes", "health") },
          // The platform has its own public IP for outbound traffic.
          disableOutboundSnat: true,
          idleTimeoutInMinutes: 4,
        })),
        tags: this.args.tags,
      },
      { parent: this },
    );
    const backendPoolId = loadBalancer.backendAddressPools.apply((pools) => {
      const id = pools?.find((pool) => pool.name === "platform")?.id;
      if (!id) throw new Error(`Azure returned load balancer ${lbName} without its backend pool "platform"; run pulumi refresh, then pulumi up again.`);
      return id;
    });
    return { address: address.ipAddress.apply((ip) => ip ?? ""), backendPoolId };
  }

  private securityGroup(name: string, rules: AzureInboundRule[]): azure.network.NetworkSecurityGroup {
    return new azure.network.NetworkSecurityGroup(
      name,
      { resourceGroupName: this.resourceGroup.name, location: this.location, securityRules: rules.map(securityRule), tags: this.args.tags },
      { parent: this },
    );
  }

  private checkLocation(spec: ServerSpec): void {
    const region = azureRegionOf(spec.location || this.location, `location of ${spec.name}`);
    if (region !== this.location) {
      throw new Error(`Azure server ${spec.name} is in ${region} but the Azure site's virtual network is in ${this.location}; use ${this.location}.`);
    }
  }

  private provisioned(
    spec: ServerSpec,
    role: "platform" | "workspace",
    server: { vm: azure.compute.VirtualMachine; publicIp: azure.network.PublicIPAddress },
  ): ProvisionedServer {
    return {
      name: spec.name,
      role,
      provider: "azure",
      region: this.location,
      location: this.location,
      // The NIC's address is static and planned by the core.
      privateIp: pulumi.output(spec.privateIp),
      publicIp: server.publicIp.ipAddress.apply((ip) => ip || undefined),
      capacity: azureCapacityOf(spec.serverType, spec.volumeGb, this.config.extraVmSizes),
      server: server.vm,
      // The data disk is attached by the VM itself.
      readyDependencies: [],
    };
  }

  private childName(suffix: string): string {
    return `${this.args.name}-${suffix}`;
  }
}
