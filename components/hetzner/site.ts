/**
 * What the Hetzner servers of one stack share: the private network and its subnet, and the SSH keys.
 * Firewalls are created with the role that uses them (platform, each pool), because their rules depend
 * on what only those calls know (the platform's public ports, a pool's Docker API sources); each server
 * then carries exactly one firewall that holds its complete inbound allow-list.
 */
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import type {
  PlatformSpec,
  ProtectionOptions,
  ProviderSite,
  ProvisionedPlatform,
  ProvisionedServer,
  SiteArgs,
  WorkspacePoolSpec,
} from "../provider";
import { isPrivateIpv4Range, parseIpv4Cidr } from "../fleet/ip-cidr";
import { hetznerConfigSchema, type HetznerConfig } from "./config";
import { hetznerLabels } from "./labels";
import { hetznerLocations, networkZoneOf, type HetznerNetworkZone } from "./locations";
import { hetznerName } from "./names";
import { HetznerPlatform } from "./platform";
import { HetznerWorkspacePool } from "./workspace-pool";

/** Throws unless `cidr` is an IPv4 network address and range inside RFC 1918 space, as Hetzner networks require. */
export function validateNetworkCidr(cidr: string): void {
  const range = parseIpv4Cidr(cidr);
  if (!range || !isPrivateIpv4Range(range)) {
    throw new Error(
      `networkCidr "${cidr}" is not usable for a Hetzner network: give the network address of a range inside 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 (e.g. 10.0.0.0/16).`,
    );
  }
}

export class HetznerSite extends pulumi.ComponentResource implements ProviderSite {
  public readonly network: hcloud.Network;
  public readonly subnet: hcloud.NetworkSubnet;
  /** Keys created from `sshPublicKeys` (existing project keys are referenced by `sshKeyIds` only). */
  public readonly sshKeys: hcloud.SshKey[];
  /** The network id as the hcloud inputs want it: a number. */
  public readonly networkId: pulumi.Output<number>;
  /** Every key a server authorises: created keys' ids and the configured existing keys. */
  public readonly sshKeyIds: pulumi.Input<string>[];
  public readonly networkZone: HetznerNetworkZone;
  public readonly networkCidr: string;
  public readonly config: HetznerConfig;
  public readonly fleetName: string;
  public readonly stack: string;
  public readonly adminCidrs: readonly string[];
  public readonly tags: Record<string, string>;
  public readonly protection: ProtectionOptions;
  /** Hetzner images give the SSH keys to root. */
  public readonly sshUser: string;
  /** Hetzner configures the public IPv4 on eth0 (no NAT), so a listener for it must bind it. */
  public readonly publicIpOnInterface = true;
  /** Hetzner's API limits user_data to 32 KiB (hcloud API reference, checked 2026-12-01). */
  public readonly maxUserDataBytes = 32 * 1024;
  private readonly resourceName: string;
  /** Private IPs handed out so far, to fail at preview on a clash instead of at `pulumi up`. */
  private readonly privateIpOwners = new Map<string, string>();

  constructor(name: string, args: SiteArgs, opts?: pulumi.ComponentResourceOptions) {
    // Validate before registering anything, so bad input leaves no half-registered component.
    const config = hetznerConfigSchema.parse(args.providerConfig ?? {});
    validateNetworkCidr(args.networkCidr);
    const networkZone = config.networkZone ?? networkZoneOf(args.location, "location");
    if (args.sshPublicKeys.length === 0 && config.existingSshKeys.length === 0) {
      throw new Error(
        "No SSH key for the Hetzner servers: give sshPublicKeys or sandfleet:hetzner.existingSshKeys (the post-boot step needs the deploy key).",
      );
    }
    super("sandfleet:hetzner:Site", name, {}, opts);
    this.resourceName = name;
    this.config = config;
    this.networkZone = networkZone;
    this.networkCidr = args.networkCidr;
    this.fleetName = args.name;
    this.stack = args.stack;
    this.adminCidrs = [...args.adminCidrs];
    this.tags = args.tags;
    this.protection = args.protection;
    this.sshUser = config.sshUser;
    this.networkZoneOf(args.location, "location");

    const labels = hetznerLabels(args.tags, { stack: args.stack });
    this.network = new hcloud.Network(
      `${name}-network`,
      { name: hetznerName(args.name), ipRange: args.networkCidr, labels, deleteProtection: args.protection.deleteProtection },
      { parent: this, deleteBeforeReplace: true },
    );
    this.networkId = this.network.id.apply(Number);
    // One cloud subnet spanning the whole range: the core plans every private IP inside networkCidr.
    this.subnet = new hcloud.NetworkSubnet(
      `${name}-subnet`,
      { networkId: this.networkId, type: "cloud", networkZone: this.networkZone, ipRange: args.networkCidr },
      { parent: this },
    );
    this.sshKeys = args.sshPublicKeys.map(
      (publicKey, index) =>
        new hcloud.SshKey(
          `${name}-ssh-key-${index + 1}`,
          { name: hetznerName(args.name, String(index + 1)), publicKey, labels },
          { parent: this, deleteBeforeReplace: true },
        ),
    );
    this.sshKeyIds = [...this.sshKeys.map((key) => key.id), ...this.config.existingSshKeys];

    this.registerOutputs({
      networkId: this.networkId,
      subnetId: this.subnet.id,
      networkZone: this.networkZone,
      sshKeyIds: this.sshKeyIds,
    });
  }

  /**
   * The network zone of `location`, which must be the site's zone: a server can only join a subnet of
   * its own zone. A location missing from the built-in table is accepted when `networkZone` is
   * configured explicitly (a location Hetzner opened after this release).
   */
  networkZoneOf(location: string, setting = "location"): HetznerNetworkZone {
    const zone = hetznerLocations[location] ?? (this.config.networkZone ? this.networkZone : networkZoneOf(location, setting));
    if (zone !== this.networkZone) {
      throw new Error(
        `Hetzner ${setting} "${location}" is in network zone ${zone}, but this site's network is in ${this.networkZone}; ` +
          `put the server in a location of ${this.networkZone} or set sandfleet:hetzner.networkZone to match.`,
      );
    }
    return zone;
  }

  /** Throws when another server or the load balancer of this site has `ip` already. */
  assertPrivateIpFree(ip: string, owner: string): void {
    const previous = this.privateIpOwners.get(ip);
    if (previous && previous !== owner) {
      throw new Error(`private IP ${ip} is planned for both ${previous} and ${owner}; every server needs its own address.`);
    }
  }

  /** Records that `owner` uses `ip`. */
  claimPrivateIp(ip: string, owner: string): void {
    this.assertPrivateIpFree(ip, owner);
    this.privateIpOwners.set(ip, owner);
  }

  createPlatform(spec: PlatformSpec): ProvisionedPlatform {
    return new HetznerPlatform(`${this.resourceName}-${spec.name}`, { site: this, spec }, { parent: this }).provisioned;
  }

  createWorkspacePool(spec: WorkspacePoolSpec): ProvisionedServer[] {
    return new HetznerWorkspacePool(`${this.resourceName}-pool-${spec.name}`, { site: this, spec }, { parent: this }).servers;
  }
}
