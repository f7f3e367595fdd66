/**
 * One workspace pool on Hetzner: its firewall (SSH from admins, the TLS Docker API from the pool's
 * sources), spread placement groups, and the servers with their volumes.
 */
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import type { ProvisionedServer, WorkspacePoolSpec } from "../provider";
import { workspaceFirewallRules } from "./firewall-rules";
import { hetznerLabels } from "./labels";
import { hetznerName } from "./names";
import { createHetznerServer, validateServerSpec } from "./server";
import type { HetznerSite } from "./site";

/** Hetzner puts at most 10 servers into one spread placement group. */
export const maxServersPerSpreadGroup = 10;

/**
 * Index of the spread group for every server, in order: servers 1-10 in group 0, 11-20 in group 1, ...
 * Appending servers never moves an existing one (moving needs the server powered off).
 */
export function spreadGroupIndexes(serverCount: number): number[] {
  return Array.from({ length: serverCount }, (_, i) => Math.floor(i / maxServersPerSpreadGroup));
}

export interface HetznerWorkspacePoolArgs {
  site: HetznerSite;
  spec: WorkspacePoolSpec;
}

export class HetznerWorkspacePool extends pulumi.ComponentResource {
  public readonly firewall?: hcloud.Firewall;
  /** One spread group per 10 servers; empty when the pool did not ask for spread. */
  public readonly placementGroups: hcloud.PlacementGroup[] = [];
  public readonly hcloudServers: hcloud.Server[] = [];
  public readonly volumes: hcloud.Volume[] = [];
  public readonly volumeAttachments: hcloud.VolumeAttachment[] = [];
  /** What the core reads back, one per server, in the order of `spec.servers`. */
  public readonly servers: ProvisionedServer[] = [];

  constructor(name: string, args: HetznerWorkspacePoolArgs, opts?: pulumi.ComponentResourceOptions) {
    const { site, spec } = args;
    // Validate every server before registering anything, so bad input leaves no half-created pool.
    const names = new Set<string>();
    const ips = new Map<string, string>();
    for (const server of spec.servers) {
      if (names.has(server.name)) throw new Error(`pool ${spec.name} lists server ${server.name} twice; server names must be unique.`);
      names.add(server.name);
      const other = ips.get(server.privateIp);
      if (other) {
        throw new Error(`private IP ${server.privateIp} is planned for both server ${other} and server ${server.name}; every server needs its own address.`);
      }
      ips.set(server.privateIp, server.name);
      validateServerSpec(site, server);
    }
    super("sandfleet:hetzner:WorkspacePool", name, {}, opts);
    const labels = hetznerLabels(site.tags, { stack: site.stack, role: "workspace", pool: spec.name });

    if (spec.spot) {
      pulumi.log.warn(`Hetzner has no spot capacity; pool ${spec.name} runs on regular servers.`, this);
    }

    if (spec.servers.length > 0) {
      const adminCidrs = site.adminCidrs;
      this.firewall = new hcloud.Firewall(
        `${name}-firewall`,
        {
          name: hetznerName(site.fleetName, spec.name),
          // Validated when the sources are known (they may be another provider's output).
          rules: pulumi.all(spec.dockerApiSources).apply((sources) => workspaceFirewallRules(adminCidrs, sources)),
          labels,
        },
        { parent: this, deleteBeforeReplace: true },
      );
    }

    const groupIndexes = spec.spread ? spreadGroupIndexes(spec.servers.length) : [];
    const groupCount = groupIndexes.length > 0 ? groupIndexes[groupIndexes.length - 1] + 1 : 0;
    for (let g = 0; g < groupCount; g++) {
      this.placementGroups.push(
        new hcloud.PlacementGroup(
          `${name}-spread-${g + 1}`,
          { name: hetznerName(site.fleetName, spec.name, "spread", String(g + 1)), type: "spread", labels },
          { parent: this, deleteBeforeReplace: true },
        ),
      );
    }
    const placementGroupIds = this.placementGroups.map((group) => group.id.apply(Number));

    spec.servers.forEach((serverSpec, index) => {
      const created = createHetznerServer(this, `${name}-${serverSpec.name}`, {
        site,
        spec: serverSpec,
        role: "workspace",
        pool: spec.name,
        firewallId: this.firewall!.id.apply(Number),
        placementGroupId: spec.spread ? placementGroupIds[groupIndexes[index]] : undefined,
      });
      this.hcloudServers.push(created.server);
      if (created.volume) this.volumes.push(created.volume);
      if (created.volumeAttachment) this.volumeAttachments.push(created.volumeAttachment);
      this.servers.push(created.provisioned);
    });

    this.registerOutputs({
      firewallId: this.firewall?.id,
      placementGroupIds,
      serverIds: this.hcloudServers.map((server) => server.id),
      privateIps: this.servers.map((server) => server.privateIp),
    });
  }
}
