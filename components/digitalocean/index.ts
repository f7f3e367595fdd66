/** The DigitalOcean implementation of the provider interface (see components/provider.ts and README.md here). */
import type * as pulumi from "@pulumi/pulumi";
import type { FleetProvider, SiteArgs } from "../provider";
import { DigitaloceanSite } from "./site";

export { digitaloceanConfigSchema, digitaloceanDefaults, type DigitaloceanConfig } from "./config";
export { digitaloceanSizes, digitaloceanCapacityOf } from "./droplet-sizes";
export { digitaloceanRegions, digitaloceanRegionOf } from "./regions";
export { DigitaloceanSite, digitaloceanVolumeDevice } from "./site";

export const digitaloceanProvider: FleetProvider = {
  name: "digitalocean",
  createSite(args: SiteArgs, parent: pulumi.ComponentResource) {
    return new DigitaloceanSite(`${args.name}-digitalocean`, args, { parent });
  },
};
