/**
 * One Hetzner server as the core planned it: the server on the site's network with its fixed private IP,
 * its data volume (attached, not auto-mounted) and the fields the core reads back. Shared by the platform
 * server and the workspace pools so both roles get the same replacement policy and safety options.
 */
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { HostNetworkHints, ProvisionedServer, ServerSpec } from "../provider";
import { isUsableHostIn } from "./cidr";
import { hetznerLabels } from "./labels";
import { assertHostname, hetznerName } from "./names";
import { capacityOf } from "./server-types";
import type { HetznerSite } from "./site";

/** Hetzner volume sizes, in GB. */
export const minVolumeGb = 10;
export const maxVolumeGb = 10240;

export interface HetznerServerArgs {
  site: HetznerSite;
  spec: ServerSpec;
  role: "platform" | "workspace";
  /** Pool of a workspace server. */
  pool?: string;
  /** The one firewall holding this server's complete inbound allow-list. */
  firewallId: pulumi.Input<number>;
  /** Spread placement group, when the pool asked for spread. */
  placementGroupId?: pulumi.Input<number>;
  /** Provider facts the user-data must configure on the host (floating IP). */
  hostNetwork?: HostNetworkHints;
}

export interface HetznerServer {
  server: hcloud.Server;
  /** The server's data volume: created by the stack, or a kept one read by id (`protection.adoptVolumes`). */
  volume?: hcloud.Volume;
  volumeAttachment?: hcloud.VolumeAttachment;
  provisioned: ProvisionedServer;
}

/** The stable path of a Hetzner volume on the server, independent of attach order (cloud-init mounts it). */
export function hetznerVolumeDevice(volumeId: pulumi.Input<string>): pulumi.Output<string> {
  return pulumi.interpolate`/dev/disk/by-id/scsi-0HC_Volume_${volumeId}`;
}

/** Checks what the Hetzner API would reject only at `pulumi up`, so that preview fails instead. */
export function validateServerSpec(site: HetznerSite, spec: ServerSpec): void {
  assertHostname(spec.name, "server name");
  site.networkZoneOf(spec.location, `location of server ${spec.name}`);
  if (!isUsableHostIn(spec.privateIp, site.networkCidr)) {
    throw new Error(
      `private IP ${spec.privateIp} of server ${spec.name} is not a usable host address in the network ${site.networkCidr} ` +
        `(the network and broadcast addresses and the gateway, the first host address, are reserved); plan an address inside the range.`,
    );
  }
  site.assertPrivateIpFree(spec.privateIp, `server ${spec.name}`);
  capacityOf(spec.serverType, site.config.extraServerTypes, spec.location);
  if (spec.volumeGb !== 0 && (!Number.isInteger(spec.volumeGb) || spec.volumeGb < minVolumeGb || spec.volumeGb > maxVolumeGb)) {
    throw new Error(
      `volume size ${spec.volumeGb} GB of server ${spec.name} is not possible on Hetzner: use a whole number from ${minVolumeGb} to ${maxVolumeGb}, or 0 for no volume.`,
    );
  }
}

/**
 * The server's data volume. A volume kept by `retainVolumes` outlives `pulumi destroy` and Hetzner volume
 * names "must be unique per project" (@pulumi/hcloud 1.41.0 Volume docs, checked 2026-12-01), so the name
 * carries a random suffix drawn with the stack (destroyed with it): the next `up` of the same stack never
 * asks for a kept volume's name. `name` is an ignored change, so volumes created before the suffix keep
 * their name and are never touched (cloud-init finds a volume by id). A kept volume named in
 * `protection.adoptVolumes` is read by id instead: attached, never resized nor deleted by this stack.
 */
function createOrAdoptVolume(scope: pulumi.ComponentResource, name: string, args: HetznerServerArgs, labels: Record<string, string>): hcloud.Volume {
  const { site, spec } = args;
  const protection = site.protection;
  const keptId = protection.adoptVolumes?.[spec.name];
  if (keptId !== undefined) return hcloud.Volume.get(`${name}-volume`, keptId, undefined, { parent: scope });
  const suffix = new random.RandomId(`${name}-volume-suffix`, { byteLength: 3 }, { parent: scope });
  return new hcloud.Volume(
    `${name}-volume`,
    {
      name: suffix.hex.apply((hex) => hetznerName(site.fleetName, spec.name, "data", hex)),
      size: spec.volumeGb,
      location: spec.location,
      // Formatting and mounting are cloud-init's (ext4, by id, `nofail`): Hetzner's automount
      // would mount it under /mnt/HC_Volume_<id>, not where the role needs it.
      automount: false,
      labels,
      deleteProtection: protection.deleteProtection,
    },
    { parent: scope, retainOnDelete: protection.retainVolumes, deleteBeforeReplace: true, ignoreChanges: ["name"] },
  );
}

/** Creates the server (and its volume) as children of `scope`, named from `name`. */
export function createHetznerServer(scope: pulumi.ComponentResource, name: string, args: HetznerServerArgs): HetznerServer {
  const { site, spec, role } = args;
  validateServerSpec(site, spec);
  site.claimPrivateIp(spec.privateIp, `server ${spec.name}`);
  const protection = site.protection;
  const labels = hetznerLabels(site.tags, spec.labels, { stack: site.stack, role, pool: args.pool });

  const volume = spec.volumeGb > 0 ? createOrAdoptVolume(scope, name, args, labels) : undefined;

  const server = new hcloud.Server(
    `${name}-server`,
    {
      name: hetznerName(site.fleetName, spec.name),
      serverType: spec.serverType,
      image: site.config.image,
      location: spec.location,
      sshKeys: site.sshKeyIds,
      userData: spec.userData(volume ? hetznerVolumeDevice(volume.id) : undefined, args.hostNetwork),
      labels,
      firewallIds: [args.firewallId],
      placementGroupId: args.placementGroupId,
      // `aliasIps: []` stops the provider from detaching and re-attaching the network on every update.
      networks: [{ networkId: site.networkId, ip: spec.privateIp, aliasIps: [] }],
      publicNets: [{ ipv4Enabled: true, ipv6Enabled: site.config.publicIpv6 }],
      // Hetzner requires both protections to be equal.
      deleteProtection: protection.deleteProtection,
      rebuildProtection: protection.deleteProtection,
      // Let dockerd stop its containers (live-restore state, volumes) before the server goes away.
      shutdownBeforeDeletion: true,
    },
    {
      parent: scope,
      // Attaching to a network that has no subnet yet fails.
      dependsOn: [site.subnet],
      // Hetzner replaces a server when its user-data or SSH keys change. Both only matter at first boot,
      // and replacing a workspace server drops every sandbox on it, so an edit to cloud-init must never
      // silently replace the fleet: changes roll out by adding a new pool and draining the old one
      // (see components/hetzner/README.md). `pulumi up --replace <urn>` forces one server deliberately.
      ignoreChanges: ["userData", "sshKeys"],
      // The name is the hostname and unique per project: a replacement must free it first.
      deleteBeforeReplace: true,
    },
  );

  const volumeAttachment = volume
    ? new hcloud.VolumeAttachment(
        `${name}-volume-attachment`,
        { serverId: server.id.apply(Number), volumeId: volume.id.apply(Number), automount: false },
        { parent: scope },
      )
    : undefined;

  const privateIp = server.networks.apply(
    (networks) => networks?.find((n) => n.ip === spec.privateIp)?.ip ?? networks?.[0]?.ip ?? spec.privateIp,
  );
  const provisioned: ProvisionedServer = {
    name: spec.name,
    role,
    pool: args.pool,
    provider: "hetzner",
    region: site.networkZoneOf(spec.location),
    location: spec.location,
    privateIp,
    publicIp: server.ipv4Address,
    capacity: capacityOf(spec.serverType, site.config.extraServerTypes),
    server,
    readyDependencies: volumeAttachment ? [volumeAttachment] : [],
  };
  return { server, volume, volumeAttachment, provisioned };
}
