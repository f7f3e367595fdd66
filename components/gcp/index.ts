/** The GCP implementation of the provider interface (see components/provider.ts and README.md here). */
import type * as pulumi from "@pulumi/pulumi";
import type { FleetProvider, SiteArgs } from "../provider";
import { GcpSite } from "./site";

export { gcpConfigSchema, gcpDefaults, type GcpConfig } from "./config";
export { gcpMachineTypes, gcpCapacityOf } from "./machine-types";
export { gcpRegions, gcpPlacementOf } from "./regions";
export { GcpSite, dataDiskDeviceName } from "./site";

export const gcpProvider: FleetProvider = {
  name: "gcp",
  createSite(args: SiteArgs, parent: pulumi.ComponentResource) {
    return new GcpSite(`${args.name}-gcp`, args, { parent });
  },
};
