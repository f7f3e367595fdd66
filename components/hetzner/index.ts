/**
 * The Hetzner Cloud fleet: the reference implementation of the provider interface (components/provider.ts).
 * Other providers copy this shape: a config schema for `sandfleet:<provider>`, a capacity table, a Site
 * component holding what servers share, and Platform / WorkspacePool components for the roles.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { FleetProvider, SiteArgs } from "../provider";
import { HetznerSite } from "./site";

export { hetznerConfigSchema, type HetznerConfig } from "./config";
export { hetznerServerTypes, capacityOf as hetznerCapacityOf } from "./server-types";
export { hetznerLocations, hetznerNetworkZones, networkZoneOf as hetznerNetworkZoneOf, type HetznerNetworkZone } from "./locations";
export { platformFirewallRules, workspaceFirewallRules, type HetznerFirewallRule } from "./firewall-rules";
export { HetznerSite } from "./site";
export { HetznerPlatform } from "./platform";
export { HetznerWorkspacePool, maxServersPerSpreadGroup } from "./workspace-pool";

export const hetznerProvider: FleetProvider = {
  name: "hetzner",
  createSite(args: SiteArgs, parent: pulumi.ComponentResource): HetznerSite {
    return new HetznerSite(`${args.name}-hetzner`, args, { parent });
  },
};
