/**
 * The DigitalOcean site: a VPC over the stack's range, SSH keys, one tag and one cloud firewall per role
 * (firewalls target tags: firewalls that list Droplet ids hold only a few), Debian 13 Droplets with
 * user-data, volumes + attachments, a reserved IP for the platform and a load balancer in the VPC.
 *
 * DigitalOcean ids are numbers in inputs (`id.apply(Number)`). Droplets take their private IP from the
 * VPC by DHCP, so the address the core planned is not used: the site reports the one the Droplet got.
 * DigitalOcean has neither spot Droplets nor placement groups; both requests are logged and ignored.
 */
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type {
  PlatformSpec,
  ProviderSite,
  ProvisionedPlatform,
  ProvisionedServer,
  ServerSpec,
  SiteArgs,
  WorkspacePoolSpec,
} from "../provider";
import { type DigitaloceanConfig, digitaloceanConfigSchema } from "./config";
import { digitaloceanCapacityOf } from "./droplet-sizes";
import { allOutbound, platformInboundRules, workspaceInboundRules, type DigitaloceanInboundRule } from "./firewall-rules";
import { digitaloceanRegionOf } from "./regions";

/** Names of Droplets, volumes, tags, ...: lower-case letters, digits and `-`, at most 63 (volumes: 64). */
export function digitaloceanName(...parts: string[]): string {
  return parts.join("-").toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/-+/g, "-").replace(/^-/, "").slice(0, 63).replace(/-+$/, "");
}

/** Where a volume shows up on its Droplet, by its name. */
export function digitaloceanVolumeDevice(volumeName: string): string {
  return `/dev/disk/by-id/scsi-0DO_Volume_${volumeName}`;
}

/** Droplet tags: letters, digits, `:`, `-`, `_` (labels become `key:value`). */
function dropletTags(...sources: Record<string, string | undefined>[]): string[] {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9_-]+/g, "_");
  return sources.flatMap((s) => Object.entries(s).filter(([, v]) => v !== undefined).map(([k, v]) => `${clean(k)}:${clean(v!)}`.slice(0, 255)));
}

export class DigitaloceanSite extends pulumi.ComponentResource implements ProviderSite {
  public readonly vpcId: pulumi.Output<string>;
  /** The login user the core renders cloud-init for and the post-boot step uses. */
  public readonly sshUser: string;
  /** Droplets carry their public IPv4 on eth0 (no NAT), so a Docker listener for it must bind it. */
  public readonly publicIpOnInterface = true;
  /** DigitalOcean's API limits a Droplet's user_data to 64 KiB (API reference, 2026-12-01). */
  public readonly maxUserDataBytes = 64 * 1024;
  private readonly args: SiteArgs;
  private readonly config: DigitaloceanConfig;
  private readonly region: string;
  private readonly vpc: digitalocean.Vpc;
  private readonly sshKeys: pulumi.Input<string>[];

  constructor(name: string, args: SiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sandfleet:digitalocean:Site", name, {}, opts);
    this.args = args;
    this.config = digitaloceanConfigSchema.parse(args.providerConfig ?? {});
    this.sshUser = this.config.sshUser;
    digitaloceanRegionOf(args.location);
    this.region = args.location;
    if (args.sshPublicKeys.length === 0 && this.config.existingSshKeys.length === 0) {
      throw new Error("No SSH key for the Droplets: give sshPublicKeys or sandfleet:digitalocean.existingSshKeys (the post-boot step needs the deploy key).");
    }
    this.vpc = new digitalocean.Vpc(
      `${name}-vpc`,
      { name: digitaloceanName(args.name), region: this.region, ipRange: args.networkCidr, description: `sandfleet ${args.name}` },
      { parent: this },
    );
    const keys = args.sshPublicKeys.map(
      (publicKey, i) =>
        new digitalocean.SshKey(
          `${name}-ssh-key-${i + 1}`,
          { name: digitaloceanName(args.name, String(i + 1)), publicKey: pulumi.output(publicKey).apply((k) => k.trim()) },
          { parent: this },
        ),
    );
    this.sshKeys = [...keys.map((k) => k.fingerprint), ...this.config.existingSshKeys];
    this.vpcId = this.vpc.id;
    this.registerOutputs({ vpcId: this.vpcId });
  }

  createPlatform(spec: PlatformSpec): ProvisionedPlatform {
    const name = this.childName(spec.name);
    const tag = this.roleTag(name, "platform");
    const lbSpec = spec.loadBalancer;
    const rules = platformInboundRules(
      this.args.adminCidrs,
      spec.publicPorts,
      lbSpec ? { targetPorts: lbSpec.ports.map((p) => p.target), healthCheckPort: lbSpec.healthCheckPort } : undefined,
    );
    const server = this.createServer(spec, "platform", tag);
    const readyDependencies: pulumi.Resource[] = [...server.ready];

    let publicAddress = server.droplet.ipv4Address;
    if (spec.stableIp) {
      const reserved = new digitalocean.ReservedIp(`${name}-ip`, { region: this.region }, { parent: this, protect: this.args.protection.deleteProtection });
      const assignment = new digitalocean.ReservedIpAssignment(
        `${name}-ip`,
        { ipAddress: reserved.ipAddress, dropletId: server.droplet.id.apply(Number) },
        { parent: this },
      );
      readyDependencies.push(assignment);
      publicAddress = reserved.ipAddress;
    }

    let loadBalancer: digitalocean.LoadBalancer | undefined;
    if (lbSpec) {
      loadBalancer = new digitalocean.LoadBalancer(
        `${name}-lb`,
        {
          name: digitaloceanName(this.args.name, spec.name, "lb"),
          region: this.region,
          vpcUuid: this.vpc.id,
          sizeUnit: this.config.loadBalancerSizeUnits,
          forwardingRules: lbSpec.ports.map(({ listen, target }) => ({ entryPort: listen, entryProtocol: "tcp", targetPort: target, targetProtocol: "tcp" })),
          healthcheck: { port: lbSpec.healthCheckPort, protocol: "tcp", checkIntervalSeconds: 10 },
          dropletIds: [server.droplet.id.apply(Number)],
        },
        { parent: this },
      );
    }
    this.firewall(`${name}-fw`, tag, rules, loadBalancer);
    return {
      // publicIp stays the Droplet's own address: outbound traffic (the platform dialling a pool in another
      // cloud, whose firewall admits its /32) leaves from it, not from the reserved IP.
      ...this.provisioned(spec, "platform", server.droplet, readyDependencies),
      publicAddress,
      loadBalancerIp: loadBalancer?.ip,
    };
  }

  createWorkspacePool(spec: WorkspacePoolSpec): ProvisionedServer[] {
    const name = this.childName(`pool-${spec.name}`);
    if (spec.spot) pulumi.log.warn(`DigitalOcean has no spot Droplets; pool ${spec.name} runs on regular Droplets.`, this);
    const tag = this.roleTag(name, `pool-${spec.name}`);
    const rules = pulumi.all(spec.dockerApiSources).apply((sources) => workspaceInboundRules(this.args.adminCidrs, sources));
    this.firewall(`${name}-fw`, tag, rules);
    return spec.servers.map((serverSpec) => {
      const server = this.createServer(serverSpec, "workspace", tag, spec.name);
      return { ...this.provisioned(serverSpec, "workspace", server.droplet, server.ready), pool: spec.name };
    });
  }

  private createServer(
    spec: ServerSpec,
    role: "platform" | "workspace",
    roleTag: digitalocean.Tag,
    pool?: string,
  ): { droplet: digitalocean.Droplet; ready: pulumi.Resource[] } {
    const name = this.childName(spec.name);
    digitaloceanRegionOf(spec.location || this.region, `location of ${spec.name}`);
    if ((spec.location || this.region) !== this.region) {
      throw new Error(`DigitalOcean server ${spec.name} is in ${spec.location} but the site's VPC is in ${this.region}; a VPC lives in one region, use ${this.region}.`);
    }
    digitaloceanCapacityOf(spec.serverType, spec.volumeGb, this.config.extraSizes);
    const volume = spec.volumeGb > 0 ? this.createOrAdoptVolume(name, spec, role) : undefined;
    const droplet = new digitalocean.Droplet(
      name,
      {
        name: digitaloceanName(this.args.name, spec.name),
        region: this.region,
        size: spec.serverType,
        image: this.config.image,
        vpcUuid: this.vpc.id,
        userData: spec.userData(volume ? volume.name.apply(digitaloceanVolumeDevice) : undefined),
        sshKeys: this.sshKeys,
        monitoring: this.config.monitoring,
        ipv6: false,
        gracefulShutdown: true,
        tags: [roleTag.name, ...dropletTags(this.args.tags, spec.labels, { role, pool })],
      },
      {
        parent: this,
        // DigitalOcean has no delete protection for Droplets: Pulumi's `protect` stands in for it.
        protect: this.args.protection.deleteProtection,
        // DigitalOcean replaces a Droplet when user-data, keys or image change; cloud-init edits must never
        // silently replace the fleet. Roll servers deliberately with `pulumi up --replace <urn>`.
        ignoreChanges: ["userData", "sshKeys", "image"],
      },
    );
    const ready: pulumi.Resource[] = [];
    if (volume) {
      ready.push(
        new digitalocean.VolumeAttachment(`${name}-data`, { dropletId: droplet.id.apply(Number), volumeId: volume.id }, { parent: this }),
      );
    }
    return { droplet, ready };
  }

  /**
   * A server's data volume. A volume kept by `retainVolumes` outlives `pulumi destroy` and DigitalOcean
   * refuses a second volume of the same name in a region (issue 10's review of the DigitalOcean Block Storage
   * API, checked 2026-12-01), so the name carries a random suffix drawn with the stack (destroyed with it):
   * the next `up` of the same stack never asks for a kept volume's name. Whether a rename is in place is not
   * documented by @pulumi/digitalocean 4.80.1, so `name` is an ignored change: volumes created before the
   * suffix keep their name, and cloud-init reads the device from the volume's actual name. A kept volume named in `protection.adoptVolumes` is read by id instead: attached,
   * never resized nor deleted by this stack.
   */
  private createOrAdoptVolume(name: string, spec: ServerSpec, role: string): digitalocean.Volume {
    const keptId = this.args.protection.adoptVolumes?.[spec.name];
    if (keptId !== undefined) return digitalocean.Volume.get(`${name}-data`, keptId, undefined, { parent: this });
    const suffix = new random.RandomId(`${name}-data-suffix`, { byteLength: 3 }, { parent: this });
    return new digitalocean.Volume(
      `${name}-data`,
      // Unformatted: cloud-init formats a blank volume (ext4) and mounts it by id with `nofail`.
      // DigitalOcean encrypts volumes at rest in every case; there is no setting to turn off.
      {
        // Cut the readable part, never the suffix (volume names: at most 64).
        name: suffix.hex.apply((hex) => `${digitaloceanName(this.args.name, spec.name, "data").slice(0, 56).replace(/-+$/, "")}-${hex}`),
        region: this.region,
        size: spec.volumeGb,
        description: `sandfleet ${role} ${spec.name}`,
      },
      { parent: this, retainOnDelete: this.args.protection.retainVolumes, ignoreChanges: ["name"] },
    );
  }

  private roleTag(name: string, role: string): digitalocean.Tag {
    return new digitalocean.Tag(`${name}-tag`, { name: digitaloceanName(this.args.name, role) }, { parent: this });
  }

  private firewall(
    name: string,
    tag: digitalocean.Tag,
    rules: pulumi.Input<DigitaloceanInboundRule[]>,
    loadBalancer?: digitalocean.LoadBalancer,
  ): digitalocean.Firewall {
    const inboundRules = pulumi.all([pulumi.output(rules), loadBalancer?.id]).apply(([list, lbId]) =>
      list.map(({ fromLoadBalancer, ...rule }) => (fromLoadBalancer ? { ...rule, sourceLoadBalancerUids: [lbId!] } : rule)),
    );
    return new digitalocean.Firewall(
      name,
      { name: digitaloceanName(name), tags: [tag.name], inboundRules, outboundRules: allOutbound },
      { parent: this },
    );
  }

  private provisioned(
    spec: ServerSpec,
    role: "platform" | "workspace",
    droplet: digitalocean.Droplet,
    readyDependencies: pulumi.Resource[],
  ): ProvisionedServer {
    return {
      name: spec.name,
      role,
      provider: "digitalocean",
      region: digitaloceanRegionOf(this.region),
      location: this.region,
      // Assigned by the VPC's DHCP, not the planned address.
      privateIp: droplet.ipv4AddressPrivate,
      publicIp: droplet.ipv4Address.apply((ip) => ip || undefined),
      capacity: digitaloceanCapacityOf(spec.serverType, spec.volumeGb, this.config.extraSizes),
      server: droplet,
      readyDependencies,
    };
  }

  private childName(suffix: string): string {
    return `${this.args.name}-${suffix}`;
  }
}
