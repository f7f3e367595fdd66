/**
 * The AWS site: one VPC per stack with a public subnet per /24 block of the core's address plan, security
 * groups, EC2 instances with IMDSv2 only, encrypted EBS volumes, an Elastic IP and an NLB for the platform.
 *
 * Every resource sets `region` itself (AWS provider v7), so one stack can hold AWS sites in several
 * regions next to other providers while credentials still come from the default provider (`aws:*`).
 */
import * as aws from "@pulumi/aws";
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
import { type AwsConfig, awsConfigSchema } from "./config";
import { TARGET_DEBIAN } from "../../cloud-init/debian-release";
import { awsCapacityOf } from "./instance-types";
import { platformIngressRules, workspaceIngressRules, type AwsIngressRule } from "./network-rules";
import { awsPlacementOf, type AwsPlacement } from "./regions";
import { deterministicGzip } from "../../cloud-init/file-encoding";

/** Debian's AWS account: the official Debian cloud images. */
export const debianAmiOwner = "136693071363";
/** Placement groups of strategy `spread` hold at most 7 running instances per availability zone. */
const maxInstancesPerSpreadGroup = 7;
/** Device name the data volume is attached as; on Nitro it shows up as NVMe with a by-id link. */
const dataVolumeDeviceName = "/dev/sdf";

/** EC2 refuses user-data above 16 KB (before base64). */
export const maxUserDataBytes = 16384;

/**
 * User-data as EC2 gets it: gzip-compressed (cloud-init recognises the gzip magic), because the rendered
 * cloud-config of a sandfleet host is close to EC2's 16 KB limit on its own. Node writes gzip headers
 * without a timestamp and deterministicGzip fixes the OS byte, so the same text always gives the same bytes
 * on every machine (no diff on every preview).
 */
export function ec2UserDataBase64(text: string, server: string): string {
  const packed = deterministicGzip(Buffer.from(text, "utf8"));
  if (packed.length > maxUserDataBytes) {
    throw new Error(
      `the user-data of ${server} is ${packed.length} bytes gzip-compressed, above EC2's limit of ${maxUserDataBytes}; ` +
        `shorten sandfleet:docker.prePullImages or the lists of SSH keys and admin CIDRs.`,
    );
  }
  return packed.toString("base64");
}

/** `/dev/disk/by-id/...` of an EBS volume on a Nitro instance (the volume id without its dash). */
export function ebsDevicePath(volumeId: string): string {
  return `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${volumeId.replace("-", "")}`;
}

/** The /24 block containing `ip`: the site makes one subnet per block the core's address plan uses. */
export function blockCidrOf(ip: string): string {
  const octets = ip.split(".");
  if (octets.length !== 4) throw new Error(`"${ip}" is not an IPv4 address`);
  return `${octets.slice(0, 3).join(".")}.0/24`;
}

const allEgress = [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], description: "outbound (apt, images)" }];

export class AwsSite extends pulumi.ComponentResource implements ProviderSite {
  public readonly vpcId: pulumi.Output<string>;
  /** The login user the core renders cloud-init for and the post-boot step uses. */
  public readonly sshUser: string;
  private readonly args: SiteArgs;
  private readonly config: AwsConfig;
  private readonly region: string;
  private readonly vpc: aws.ec2.Vpc;
  private readonly routeTable: aws.ec2.RouteTable;
  /**
   * What public addresses wait for: AWS refuses an Elastic IP association or an internet-facing NLB in a VPC
   * whose internet gateway is not attached yet (`Gateway.NotAttached`), and nothing else orders them after it.
   */
  private readonly gateway: aws.ec2.InternetGateway;
  private readonly subnets = new Map<string, { subnet: aws.ec2.Subnet; availabilityZone: string }>();
  private readonly keyPair: aws.ec2.KeyPair;

  constructor(name: string, args: SiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sandfleet:aws:Site", name, {}, opts);
    this.args = args;
    this.config = awsConfigSchema.parse(args.providerConfig ?? {});
    this.sshUser = this.config.sshUser;
    this.region = awsPlacementOf(args.location).region;
    const region = this.region;
    const tags = (suffix: string) => ({ ...args.tags, Name: `${name}-${suffix}` });

    this.vpc = new aws.ec2.Vpc(
      `${name}-vpc`,
      { region, cidrBlock: args.networkCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: tags("vpc") },
      { parent: this },
    );
    const gateway = new aws.ec2.InternetGateway(`${name}-igw`, { region, vpcId: this.vpc.id, tags: tags("igw") }, { parent: this });
    this.gateway = gateway;
    // Public subnets with an internet gateway instead of NAT gateways: every server has a public IPv4 for
    // apt and image pulls (a NAT gateway costs more than a small fleet); security groups keep them closed.
    this.routeTable = new aws.ec2.RouteTable(
      `${name}-routes`,
      { region, vpcId: this.vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: gateway.id }], tags: tags("routes") },
      { parent: this },
    );
    // One KeyPair holds one key: the first of sshPublicKeys, which the core makes the stack's deploy key
    // (ED25519; EC2 accepts RSA and ED25519 only). Every key reaches the admin user through cloud-init's
    // ssh_authorized_keys as well, which the core renders for every provider.
    this.keyPair = new aws.ec2.KeyPair(
      `${name}-ssh`,
      { region, publicKey: pulumi.output(args.sshPublicKeys[0]).apply((k) => k.trim()), tags: tags("ssh") },
      { parent: this },
    );
    this.vpcId = this.vpc.id;
    this.registerOutputs({ vpcId: this.vpcId });
  }

  createPlatform(spec: PlatformSpec): ProvisionedPlatform {
    const name = this.childName(spec.name);
    const placement = this.placementOf(spec);
    const subnetCidr = blockCidrOf(spec.privateIp);
    const lb = spec.loadBalancer;
    const securityGroup = this.securityGroup(
      `${name}-sg`,
      `sandfleet platform server ${spec.name}`,
      platformIngressRules(
        this.args.adminCidrs,
        spec.publicPorts,
        lb ? { sourceCidr: subnetCidr, targetPorts: lb.ports.map((p) => p.target), healthCheckPort: lb.healthCheckPort } : undefined,
      ),
    );
    const server = this.createServer(spec, "platform", placement, securityGroup, {});
    const readyDependencies: pulumi.Resource[] = [...server.ready];

    let publicAddress = server.instance.publicIp;
    if (spec.stableIp) {
      const eip = new aws.ec2.Eip(`${name}-eip`, { region: this.region, domain: "vpc", tags: this.tags(`${spec.name}-eip`, spec) }, { parent: this });
      const association = new aws.ec2.EipAssociation(
        `${name}-eip`,
        { region: this.region, allocationId: eip.allocationId, instanceId: server.instance.id },
        { parent: this, dependsOn: [this.gateway] },
      );
      readyDependencies.push(association);
      publicAddress = eip.publicIp;
    }

    let loadBalancerIp: pulumi.Output<string> | undefined;
    if (spec.loadBalancer) {
      loadBalancerIp = this.createLoadBalancer(name, spec, server.instance, placement);
    }

    return {
      ...this.provisioned(spec, "platform", placement, server.instance, readyDependencies),
      publicIp: publicAddress,
      publicAddress,
      loadBalancerIp,
    };
  }

  createWorkspacePool(spec: WorkspacePoolSpec): ProvisionedServer[] {
    const name = this.childName(`pool-${spec.name}`);
    const sources = pulumi.all(spec.dockerApiSources);
    const securityGroup = this.securityGroup(
      `${name}-sg`,
      `sandfleet workspace pool ${spec.name}`,
      sources.apply((s) => workspaceIngressRules(this.args.adminCidrs, s)),
    );
    const placementGroups: aws.ec2.PlacementGroup[] = [];
    if (spec.spread) {
      const groups = Math.ceil(spec.servers.length / maxInstancesPerSpreadGroup);
      for (let g = 0; g < groups; g++) {
        placementGroups.push(
          new aws.ec2.PlacementGroup(
            `${name}-spread-${g + 1}`,
            { region: this.region, strategy: "spread", spreadLevel: "rack", tags: { ...this.args.tags, Name: `${name}-spread-${g + 1}` } },
            { parent: this },
          ),
        );
      }
    }
    return spec.servers.map((serverSpec, i) => {
      const placement = this.placementOf(serverSpec);
      const group = placementGroups[Math.floor(i / maxInstancesPerSpreadGroup)];
      const server = this.createServer(serverSpec, "workspace", placement, securityGroup, {
        placementGroup: group?.name,
        spot: spec.spot,
      });
      return { ...this.provisioned(serverSpec, "workspace", placement, server.instance, server.ready), pool: spec.name };
    });
  }

  private createServer(
    spec: ServerSpec,
    role: "platform" | "workspace",
    placement: AwsPlacement,
    securityGroup: aws.ec2.SecurityGroup,
    options: { placementGroup?: pulumi.Input<string>; spot?: boolean },
  ): { instance: aws.ec2.Instance; ready: pulumi.Resource[] } {
    const name = this.childName(spec.name);
    const region = this.region;
    awsCapacityOf(spec.serverType, spec.volumeGb, this.config.extraInstanceTypes);
    const subnet = this.subnetFor(spec.privateIp, placement.availabilityZone);

    let volume: aws.ebs.Volume | undefined;
    if (spec.volumeGb > 0) {
      volume = new aws.ebs.Volume(
        `${name}-data`,
        {
          region,
          availabilityZone: placement.availabilityZone,
          size: spec.volumeGb,
          type: this.config.volumeType,
          encrypted: true,
          kmsKeyId: this.config.kmsKeyId,
          tags: this.tags(`${spec.name}-data`, spec),
        },
        { parent: this, retainOnDelete: this.args.protection.retainVolumes },
      );
    }
    const ami = this.config.ami ?? this.debianAmi();
    const instance = new aws.ec2.Instance(
      name,
      {
        region,
        ami,
        instanceType: spec.serverType,
        availabilityZone: placement.availabilityZone,
        subnetId: subnet.id,
        privateIp: spec.privateIp,
        associatePublicIpAddress: true,
        vpcSecurityGroupIds: [securityGroup.id],
        keyName: this.keyPair.keyName,
        userDataBase64: spec.userData(volume?.id.apply(ebsDevicePath)).apply((text) => ec2UserDataBase64(text, spec.name)),
        // IMDSv2 only, and a hop limit of 1 so that containers (one hop further) never reach the
        // metadata service even if the DOCKER-USER rules were gone.
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
        rootBlockDevice: {
          volumeSize: this.config.rootVolumeGb,
          volumeType: this.config.volumeType,
          encrypted: true,
          kmsKeyId: this.config.kmsKeyId,
          deleteOnTermination: true,
        },
        placementGroup: options.placementGroup,
        instanceMarketOptions: options.spot
          ? {
              marketType: "spot",
              // A one-time request whose instance terminates on interruption (issue 10, finding: spot
              // pools lose capacity silently). A persistent request that stops would restart the
              // instance with a new public IPv4 behind Pulumi's back, while the registry and the
              // certificate SANs keep the old one, and the request can outlive the instance on destroy
              // (terraform-provider-aws #38142). Terminated, the instance is gone for Pulumi too:
              // the next `pulumi up` (which refreshes first, Pulumi.yaml) recreates it and everything that holds its addresses; the data
              // volume is a separate EBS volume and is attached again.
              // Checked 2026-12-01: "one-time ... If the Spot price exceeds your maximum price or capacity
              // is not available, your Spot Instance is terminated and the Spot Instance request is closed";
              // stop/hibernate need persistent requests, terminate is the default
              // (docs.aws.amazon.com/AWSEC2/latest/UserGuide/interruption-behavior.html,
              // .../APIReference/API_SpotMarketOptions.html).
              spotOptions: { spotInstanceType: "one-time", instanceInterruptionBehavior: "terminate", maxPrice: this.config.spotMaxPrice },
            }
          : undefined,
        disableApiTermination: this.args.protection.deleteProtection && !options.spot ? true : undefined,
        tags: this.tags(spec.name, spec, { "sandfleet-role": role }),
      },
      // A new Debian AMI or a re-rendered user-data must not silently replace (or stop) the fleet:
      // roll servers deliberately with `pulumi up --replace <urn>`.
      // Delete before replace: the instance pins `privateIp`, which EC2 hands to a new instance only once
      // the old one has released it (otherwise `InvalidIPAddress.InUse`). That holds for every replacing
      // change (private_ip, subnet, availability zone, placement group, spot on/off and --replace alike);
      // its volume attachment, EIP association and target group attachments are replaced with it.
      { parent: this, ignoreChanges: ["ami", "userData", "userDataBase64", "keyName"], deleteBeforeReplace: true },
    );
    const ready: pulumi.Resource[] = [];
    if (volume) {
      ready.push(
        new aws.ec2.VolumeAttachment(
          `${name}-data`,
          { region, deviceName: dataVolumeDeviceName, instanceId: instance.id, volumeId: volume.id, stopInstanceBeforeDetaching: true },
          { parent: this },
        ),
      );
    }
    return { instance, ready };
  }

  private createLoadBalancer(name: string, spec: PlatformSpec, instance: aws.ec2.Instance, placement: AwsPlacement): pulumi.Output<string> {
    const lbSpec = spec.loadBalancer!;
    const region = this.region;
    const subnet = this.subnetFor(spec.privateIp, placement.availabilityZone);
    // An Elastic IP on the NLB's subnet mapping gives it a fixed address (DNS A records, allow-lists).
    const address = new aws.ec2.Eip(`${name}-lb`, { region, domain: "vpc", tags: this.tags(`${spec.name}-lb`, spec) }, { parent: this });
    const nlb = new aws.lb.LoadBalancer(
      `${name}-lb`,
      {
        region,
        loadBalancerType: "network",
        internal: false,
        subnetMappings: [{ subnetId: subnet.id, allocationId: address.allocationId }],
        enableDeletionProtection: this.args.protection.deleteProtection,
        tags: this.tags(`${spec.name}-lb`, spec),
      },
      { parent: this, dependsOn: [this.gateway] },
    );
    const groups = new Map<number, aws.lb.TargetGroup>();
    for (const target of [...new Set(lbSpec.ports.map((p) => p.target))]) {
      const group = new aws.lb.TargetGroup(
        `${name}-lb-${target}`,
        {
          region,
          port: target,
          protocol: "TCP",
          targetType: "instance",
          vpcId: this.vpc.id,
          // Traffic then comes from the NLB's private address, so the platform's security group admits
          // the target ports from the NLB's subnet only instead of from the whole internet.
          preserveClientIp: "false",
          healthCheck: { protocol: "TCP", port: String(lbSpec.healthCheckPort), healthyThreshold: 3, unhealthyThreshold: 3, interval: 10 },
          tags: this.tags(`${spec.name}-lb-${target}`, spec),
        },
        { parent: this },
      );
      new aws.lb.TargetGroupAttachment(
        `${name}-lb-${target}`,
        { region, targetGroupArn: group.arn, targetId: instance.id, port: target },
        { parent: this },
      );
      groups.set(target, group);
    }
    for (const { listen, target } of lbSpec.ports) {
      new aws.lb.Listener(
        `${name}-lb-${listen}`,
        { region, loadBalancerArn: nlb.arn, port: listen, protocol: "TCP", defaultActions: [{ type: "forward", targetGroupArn: groups.get(target)!.arn }] },
        { parent: this },
      );
    }
    return address.publicIp;
  }

  private securityGroup(name: string, description: string, ingress: pulumi.Input<AwsIngressRule[]>): aws.ec2.SecurityGroup {
    return new aws.ec2.SecurityGroup(
      name,
      { region: this.region, vpcId: this.vpc.id, description, ingress, egress: allEgress, tags: { ...this.args.tags, Name: name } },
      { parent: this },
    );
  }

  /** The subnet of `ip`'s /24 block, created on first use in `availabilityZone`. */
  private subnetFor(ip: string, availabilityZone: string): aws.ec2.Subnet {
    const cidr = blockCidrOf(ip);
    const existing = this.subnets.get(cidr);
    if (existing) {
      if (existing.availabilityZone !== availabilityZone) {
        throw new Error(
          `AWS: servers in ${cidr} are placed in both ${existing.availabilityZone} and ${availabilityZone}; a subnet lives in one ` +
            `availability zone, so give every server of a pool the same location (or put the pools in different address blocks).`,
        );
      }
      return existing.subnet;
    }
    const name = `${this.childName("subnet")}-${cidr.split(".")[2]}`;
    const subnet = new aws.ec2.Subnet(
      name,
      { region: this.region, vpcId: this.vpc.id, cidrBlock: cidr, availabilityZone, tags: { ...this.args.tags, Name: name } },
      { parent: this },
    );
    new aws.ec2.RouteTableAssociation(name, { region: this.region, subnetId: subnet.id, routeTableId: this.routeTable.id }, { parent: this });
    this.subnets.set(cidr, { subnet, availabilityZone });
    return subnet;
  }

  private placementOf(spec: ServerSpec): AwsPlacement {
    const placement = awsPlacementOf(spec.location || this.args.location, `location of ${spec.name}`);
    if (placement.region !== this.region) {
      throw new Error(
        `AWS server ${spec.name} is in ${placement.region} but the AWS site is in ${this.region}; ` +
          `one stack has one AWS site, so use a zone of ${this.region} (e.g. ${this.region}b).`,
      );
    }
    return placement;
  }

  private debianAmi(): pulumi.Output<string> {
    return aws.ec2
      .getAmiOutput(
        {
          region: this.region,
          owners: [debianAmiOwner],
          mostRecent: true,
          filters: [
            // Debian's AMI names: debian-<version>-<arch>-<date>-<build> (checked 2026-12-01); the release
            // is the one the cloud-init renderer targets (cloud-init/debian-release.ts).
            { name: "name", values: [`debian-${TARGET_DEBIAN.version}-amd64-*`] },
            { name: "architecture", values: ["x86_64"] },
            { name: "virtualization-type", values: ["hvm"] },
          ],
        },
        { parent: this },
      )
      .apply((ami) => ami.id);
  }

  private provisioned(
    spec: ServerSpec,
    role: "platform" | "workspace",
    placement: AwsPlacement,
    instance: aws.ec2.Instance,
    readyDependencies: pulumi.Resource[],
  ): ProvisionedServer {
    return {
      name: spec.name,
      role,
      provider: "aws",
      region: placement.region,
      location: placement.availabilityZone,
      privateIp: instance.privateIp,
      publicIp: instance.publicIp.apply((ip) => ip || undefined),
      capacity: awsCapacityOf(spec.serverType, spec.volumeGb, this.config.extraInstanceTypes),
      server: instance,
      readyDependencies,
    };
  }

  private tags(suffix: string, spec: ServerSpec, extra: Record<string, string> = {}): Record<string, string> {
    return { ...this.args.tags, ...spec.labels, ...extra, Name: this.childName(suffix) };
  }

  private childName(suffix: string): string {
    return `${this.args.name}-${suffix}`;
  }
}
