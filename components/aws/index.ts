/** The AWS implementation of the provider interface (see components/provider.ts and README.md here). */
import type * as pulumi from "@pulumi/pulumi";
import type { FleetProvider, SiteArgs } from "../provider";
import { AwsSite } from "./site";

export { awsConfigSchema, awsDefaults, type AwsConfig } from "./config";
export { awsInstanceTypes, awsCapacityOf } from "./instance-types";
export { awsRegions, awsPlacementOf } from "./regions";
export { AwsSite, ebsDevicePath } from "./site";

export const awsProvider: FleetProvider = {
  name: "aws",
  createSite(args: SiteArgs, parent: pulumi.ComponentResource) {
    return new AwsSite(`${args.name}-aws`, args, { parent });
  },
};
