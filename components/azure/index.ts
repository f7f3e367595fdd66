/** The Azure (azure-native) implementation of the provider interface (see components/provider.ts and README.md here). */
import type * as pulumi from "@pulumi/pulumi";
import type { FleetProvider, SiteArgs } from "../provider";
import { AzureSite } from "./site";

export { azureConfigSchema, azureDefaults, type AzureConfig } from "./config";
export { azureVmSizes, azureCapacityOf } from "./vm-sizes";
export { azureRegions, azureRegionOf } from "./regions";
export { AzureSite, dataDiskDevice } from "./site";

export const azureProvider: FleetProvider = {
  name: "azure",
  createSite(args: SiteArgs, parent: pulumi.ComponentResource) {
    return new AzureSite(`${args.name}-azure`, args, { parent });
  },
};
