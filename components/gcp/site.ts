/**
 * The GCP site: a custom-mode VPC with one regional subnetwork spanning the stack's range, firewall rules
 * by network tag (one tag per role), Debian 13 instances with user-data in metadata (no project-wide SSH
 * keys, serial port off, OS Login off so the instance `ssh-keys` apply), persistent data disks, a static
 * address and a passthrough network load balancer for the platform, spot pools and spread policies.
 */
import * as gcp from "@pulumi/gcp";
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
import { gcpCloudInitBootstrapScript } from "./cloud-init-bootstrap";
import { type GcpConfig, gcpConfigSchema } from "./config";
import { gcpCapacityOf, machineSeriesOf, spreadCapableSeries } from "./machine-types";
import { checkPassthroughPorts, platformIngressRules, workspaceFirewallShapes, workspaceIngressRules, type GcpIngressRule } from "./network-rules";
import { gcpPlacementOf, type GcpPlacement } from "./regions";

/** Device name of the data disk; Linux exposes it as /dev/disk/by-id/google-<device name>. */
export const dataDiskDeviceName = "sandfleet-data";
/** A spread placement policy holds at most 8 instances. */
const maxInstancesPerSpreadPolicy = 8;
/**
 * Every spread policy asks for the most availability domains (8): a policy cannot be updated (every field is
 * ForceNew), so a domain count that followed the pool's size would replace the policy, which its instances
 * still use, on every change of `count` (issue 10, the second up).
 */
const spreadAvailabilityDomains = 8;

/** GCP names and network tags: lower-case letters, digits and `-`, starting with a letter, at most 63. */
export function gcpName(...parts: string[]): string {
  const name = parts.join("-").toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-+/g, "-").replace(/^[^a-z]+/, "");
  return name.slice(0, 63).replace(/-+$/, "");
}

/** GCP labels: keys and values lower-case letters, digits, `_` and `-`, at most 63 characters. */
export function gcpLabels(...sources: Record<string, string | undefined>[]): Record<string, string> {
  const clean = (s: string) => s.toLowerCase().replace(/[^a-z0-9_-]+/g, "_").slice(0, 63);
  const labels: Record<string, string> = {};
  for (const source of sources) {
    for (const [key, value] of Object.entries(source)) {
      const k = clean(key).replace(/^[^a-z]+/, "");
      if (k && value !== undefined) labels[k] = clean(value);
    }
  }
  return labels;
}

export class GcpSite extends pulumi.ComponentResource implements ProviderSite {
  public readonly networkId: pulumi.Output<string>;
  /** The login user the core renders cloud-init for and the post-boot step uses. */
  public readonly sshUser: string;
  /** A metadata value (`user-data`) is at most 262144 bytes (Compute API Metadata.items.value, checked 2026-12-01). */
  public readonly maxUserDataBytes = 262144;
  private readonly args: SiteArgs;
  private readonly config: GcpConfig;
  private readonly region: string;
  private readonly network: gcp.compute.Network;
  private readonly subnetwork: gcp.compute.Subnetwork;

  constructor(name: string, args: SiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sandfleet:gcp:Site", name, {}, opts);
    this.args = args;
    this.config = gcpConfigSchema.parse(args.providerConfig ?? {});
    this.sshUser = this.config.sshUser;
    this.region = gcpPlacementOf(args.location).region;
    const project = this.config.project;
    this.network = new gcp.compute.Network(
      `${name}-network`,
      { project, autoCreateSubnetworks: false, description: `sandfleet ${args.name}` },
      { parent: this },
    );
    // One regional subnetwork over the whole range: it spans every zone of the region, so pools in
    // different zones keep the addresses the core planned.
    this.subnetwork = new gcp.compute.Subnetwork(
      `${name}-subnet`,
      { project, region: this.region, network: this.network.id, ipCidrRange: args.networkCidr, privateIpGoogleAccess: true },
      { parent: this },
    );
    this.networkId = this.network.id;
    this.registerOutputs({ networkId: this.networkId });
  }

  createPlatform(spec: PlatformSpec): ProvisionedPlatform {
    const name = this.childName(spec.name);
    const placement = this.placementOf(spec);
    const tag = gcpName(this.args.name, "platform");
    const lb = spec.loadBalancer;
    if (lb) checkPassthroughPorts(lb.ports);
    this.firewall(
      tag,
      platformIngressRules(this.args.adminCidrs, spec.publicPorts, lb ? { ports: lb.ports.map((p) => p.listen), healthCheckPort: lb.healthCheckPort } : undefined),
    );
    const address = spec.stableIp
      ? new gcp.compute.Address(
          `${name}-ip`,
          { project: this.config.project, region: this.region, addressType: "EXTERNAL", networkTier: "PREMIUM", labels: gcpLabels(this.args.tags) },
          { parent: this, protect: this.args.protection.deleteProtection },
        )
      : undefined;
    const instance = this.createServer(spec, "platform", placement, tag, { natIp: address?.address });
    const publicIp = address ? address.address : this.natIpOf(instance);
    const loadBalancerIp = lb ? this.createLoadBalancer(name, spec, instance, placement) : undefined;
    return {
      ...this.provisioned(spec, "platform", placement, instance),
      publicIp,
      publicAddress: publicIp,
      loadBalancerIp,
    };
  }

  createWorkspacePool(spec: WorkspacePoolSpec): ProvisionedServer[] {
    const tag = gcpName(this.args.name, "pool", spec.name);
    const sources = pulumi.all(spec.dockerApiSources);
    const { ssh, docker } = workspaceFirewallShapes(this.args.adminCidrs);
    this.firewall(tag, [ssh]);
    this.firewall(tag, [], {
      ...docker,
      sourceRanges: sources.apply((s) => workspaceIngressRules(this.args.adminCidrs, s).find((rule) => rule.name === docker.name)!.sourceRanges),
    });
    const series = new Set(spec.servers.map((s) => machineSeriesOf(s.serverType)));
    // Compute Engine already puts a zone's instances on different hosts; a spread policy adds separate
    // availability domains, but only for some series. Elsewhere the default placement stays.
    const canSpread = spec.spread && [...series].every((s) => spreadCapableSeries.includes(s));
    const policies: gcp.compute.ResourcePolicy[] = [];
    if (canSpread) {
      for (let g = 0; g < Math.ceil(spec.servers.length / maxInstancesPerSpreadPolicy); g++) {
        policies.push(
          new gcp.compute.ResourcePolicy(
            `${this.childName(`pool-${spec.name}`)}-spread-${g + 1}`,
            { project: this.config.project, region: this.region, groupPlacementPolicy: { availabilityDomainCount: spreadAvailabilityDomains } },
            { parent: this },
          ),
        );
      }
    }
    return spec.servers.map((serverSpec, i) => {
      const placement = this.placementOf(serverSpec);
      const policy = policies[Math.floor(i / maxInstancesPerSpreadPolicy)];
      const instance = this.createServer(serverSpec, "workspace", placement, tag, { spot: spec.spot, resourcePolicy: policy?.selfLink, pool: spec.name });
      return { ...this.provisioned(serverSpec, "workspace", placement, instance), pool: spec.name };
    });
  }

  private createServer(
    spec: ServerSpec,
    role: "platform" | "workspace",
    placement: GcpPlacement,
    tag: string,
    options: { natIp?: pulumi.Input<string>; spot?: boolean; resourcePolicy?: pulumi.Input<string>; pool?: string },
  ): gcp.compute.Instance {
    const name = this.childName(spec.name);
    const project = this.config.project;
    gcpCapacityOf(spec.serverType, spec.volumeGb, this.config.extraMachineTypes);
    const labels = gcpLabels(this.args.tags, spec.labels, { role, pool: options.pool });
    const disk =
      spec.volumeGb > 0
        ? new gcp.compute.Disk(
            `${name}-data`,
            // Encrypted at rest by Google in every case (Google-managed keys); no setting needed.
            { project, zone: placement.zone, size: spec.volumeGb, type: this.config.diskType, labels },
            { parent: this, retainOnDelete: this.args.protection.retainVolumes },
          )
        : undefined;
    const user = this.config.sshUser;
    const sshKeys = pulumi.all(this.args.sshPublicKeys).apply((keys) => keys.map((k) => `${user}:${k.trim()}`).join("\n"));
    const metadata: Record<string, pulumi.Input<string>> = {
      "user-data": spec.userData(disk ? pulumi.output(`/dev/disk/by-id/google-${dataDiskDeviceName}`) : undefined),
      "ssh-keys": sshKeys,
      "block-project-ssh-keys": "true",
      "serial-port-enable": "false",
      "enable-oslogin": "FALSE",
    };
    if (this.config.bootstrapCloudInit) metadata["startup-script"] = gcpCloudInitBootstrapScript(user);
    return new gcp.compute.Instance(
      name,
      {
        project,
        name: gcpName(this.args.name, spec.name),
        zone: placement.zone,
        machineType: spec.serverType,
        bootDisk: { autoDelete: true, initializeParams: { image: this.config.image, size: this.config.bootDiskGb, type: this.config.diskType } },
        attachedDisks: disk ? [{ source: disk.id, deviceName: dataDiskDeviceName, mode: "READ_WRITE" }] : undefined,
        networkInterfaces: [
          {
            subnetwork: this.subnetwork.id,
            networkIp: spec.privateIp,
            // An access config gives the instance a public IPv4 (the static one for the platform) for apt
            // and SSH, instead of a Cloud NAT per region.
            accessConfigs: [{ natIp: options.natIp, networkTier: "PREMIUM" }],
          },
        ],
        metadata,
        tags: [tag],
        labels,
        // Spot VMs are deleted on preemption (issue 10, finding: spot pools lose capacity silently): with
        // STOP and no automatic restart a preempted VM stayed stopped for good while Pulumi still saw it.
        // Deleted, it is gone for Pulumi too: the next `pulumi up` (which refreshes first, Pulumi.yaml) recreates it (new ephemeral IPv4, and
        // everything that holds it); the data disk is a separate disk (autoDelete off) and is attached again.
        // Checked 2026-12-01: Scheduling.instanceTerminationAction is STOP (default) or DELETE, "the action
        // GCE should take when SPOT VM is preempted" (cloud.google.com compute v1 Scheduling reference).
        scheduling: options.spot
          ? { provisioningModel: "SPOT", preemptible: true, automaticRestart: false, onHostMaintenance: "TERMINATE", instanceTerminationAction: "DELETE" }
          : { provisioningModel: "STANDARD", automaticRestart: true, onHostMaintenance: "MIGRATE" },
        resourcePolicies: options.resourcePolicy,
        shieldedInstanceConfig: { enableSecureBoot: true, enableVtpm: true, enableIntegrityMonitoring: true },
        deletionProtection: this.args.protection.deleteProtection,
        allowStoppingForUpdate: true,
      },
      // A new Debian image or re-rendered user-data must not silently replace the fleet; roll servers
      // deliberately with `pulumi up --replace <urn>`. Delete first on replacement: the name is explicit (unique
      // per zone) and the network IP pinned, so a successor created first fails with "already exists" / "IP in
      // use". The bridge delete-firsts explicitly named resources only where the provider marks the name as
      // auto-nameable (pulumi/pulumi-terraform#465);
      // pulumi/pulumi-gcp#2931 is a GCP resource it missed. Explicit here, so it never depends on that.
      { parent: this, ignoreChanges: ['metadata["user-data"]', "bootDisk.initializeParams.image"], deleteBeforeReplace: true },
    );
  }

  /** Regional external passthrough NLB: static address -> forwarding rule -> backend service -> instance group. */
  private createLoadBalancer(name: string, spec: PlatformSpec, instance: gcp.compute.Instance, placement: GcpPlacement): pulumi.Output<string> {
    const lb = spec.loadBalancer!;
    const project = this.config.project;
    const region = this.region;
    const address = new gcp.compute.Address(
      `${name}-lb-ip`,
      { project, region, addressType: "EXTERNAL", networkTier: "PREMIUM", labels: gcpLabels(this.args.tags) },
      { parent: this },
    );
    const health = new gcp.compute.RegionHealthCheck(
      `${name}-lb-health`,
      { project, region, tcpHealthCheck: { port: lb.healthCheckPort }, checkIntervalSec: 10, healthyThreshold: 2, unhealthyThreshold: 3 },
      { parent: this },
    );
    const group = new gcp.compute.InstanceGroup(
      `${name}-lb-group`,
      { project, zone: placement.zone, network: this.network.id, instances: [instance.selfLink] },
      { parent: this },
    );
    const backend = new gcp.compute.RegionBackendService(
      `${name}-lb-backend`,
      {
        project,
        region,
        loadBalancingScheme: "EXTERNAL",
        protocol: "TCP",
        healthChecks: health.id,
        backends: [{ group: group.selfLink, balancingMode: "CONNECTION" }],
      },
      { parent: this },
    );
    new gcp.compute.ForwardingRule(
      `${name}-lb`,
      {
        project,
        region,
        loadBalancingScheme: "EXTERNAL",
        ipProtocol: "TCP",
        ipAddress: address.address,
        ports: [...new Set(lb.ports.map((p) => String(p.listen)))],
        backendService: backend.selfLink,
        networkTier: "PREMIUM",
        labels: gcpLabels(this.args.tags),
      },
      { parent: this },
    );
    return address.address;
  }

  private firewall(tag: string, rules: GcpIngressRule[], dynamic?: Omit<GcpIngressRule, "sourceRanges"> & { sourceRanges: pulumi.Input<string[]> }): void {
    for (const rule of dynamic ? [dynamic] : rules) {
      new gcp.compute.Firewall(
        `${this.childName(tag.replace(`${gcpName(this.args.name)}-`, ""))}-${rule.name}`,
        {
          project: this.config.project,
          network: this.network.id,
          direction: "INGRESS",
          description: rule.description,
          sourceRanges: rule.sourceRanges,
          targetTags: [tag],
          allows: [{ protocol: "tcp", ports: rule.ports.map(String) }],
        },
        { parent: this },
      );
    }
  }

  private natIpOf(instance: gcp.compute.Instance): pulumi.Output<string> {
    return instance.networkInterfaces.apply((nics) => nics?.[0]?.accessConfigs?.[0]?.natIp ?? "");
  }

  private placementOf(spec: ServerSpec): GcpPlacement {
    const placement = gcpPlacementOf(spec.location || this.args.location, `location of ${spec.name}`);
    if (placement.region !== this.region) {
      throw new Error(
        `GCP server ${spec.name} is in ${placement.region} but the GCP site's subnetwork is in ${this.region}; ` +
          `use a zone of ${this.region} (e.g. ${this.region}-b).`,
      );
    }
    return placement;
  }

  private provisioned(spec: ServerSpec, role: "platform" | "workspace", placement: GcpPlacement, instance: gcp.compute.Instance): ProvisionedServer {
    return {
      name: spec.name,
      role,
      provider: "gcp",
      region: placement.region,
      location: placement.zone,
      privateIp: instance.networkInterfaces.apply((nics) => nics?.[0]?.networkIp ?? spec.privateIp),
      publicIp: this.natIpOf(instance).apply((ip) => ip || undefined),
      capacity: gcpCapacityOf(spec.serverType, spec.volumeGb, this.config.extraMachineTypes),
      server: instance,
      // Disks are attached when the instance is created: nothing else to wait for.
      readyDependencies: [],
    };
  }

  private childName(suffix: string): string {
    return `${this.args.name}-${suffix}`;
  }
}
