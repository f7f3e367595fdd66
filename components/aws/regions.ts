/**
 * AWS regions sandfleet accepts and how a stack location maps onto region + availability zone. A location
 * is either a region (`eu-central-1`, servers go to its zone `a`) or a zone (`eu-central-1b`).
 */
export const awsRegions = [
  "us-east-1",
  "us-east-2",
  "us-west-1",
  "us-west-2",
  "ca-central-1",
  "sa-east-1",
  "eu-central-1",
  "eu-central-2",
  "eu-west-1",
  "eu-west-2",
  "eu-west-3",
  "eu-north-1",
  "eu-south-1",
  "eu-south-2",
  "ap-south-1",
  "ap-northeast-1",
  "ap-northeast-2",
  "ap-northeast-3",
  "ap-southeast-1",
  "ap-southeast-2",
] as const;

export interface AwsPlacement {
  region: string;
  availabilityZone: string;
}

/** Region and zone of a location; throws naming the valid regions when it is unknown. */
export function awsPlacementOf(location: string, setting = "location"): AwsPlacement {
  const match = /^([a-z]{2}-[a-z]+-\d)([a-z])?$/.exec(location);
  const region = match?.[1];
  if (!match || !(awsRegions as readonly string[]).includes(region!)) {
    throw new Error(
      `AWS ${setting} "${location}" is not a known region or availability zone. ` +
        `Use a region (servers go to its zone "a") or a zone such as "eu-central-1b"; regions: ${awsRegions.join(", ")}.`,
    );
  }
  return { region: region!, availabilityZone: `${region}${match[2] ?? "a"}` };
}
