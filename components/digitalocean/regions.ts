/**
 * DigitalOcean regions (datacenter slugs) and the broader region each belongs to. The registry's
 * `location` is the slug (`fra1`), its `region` the broader area (`eu-central`), named like Hetzner's
 * network zones so that affinity rules on `region` work across providers.
 */
export const digitaloceanRegions: Readonly<Record<string, string>> = {
  nyc1: "us-east",
  nyc3: "us-east",
  atl1: "us-east",
  sfo2: "us-west",
  sfo3: "us-west",
  tor1: "ca-central",
  ams3: "eu-west",
  lon1: "eu-west",
  fra1: "eu-central",
  blr1: "ap-south",
  sgp1: "ap-southeast",
  syd1: "ap-southeast",
};

/** The broader region of a datacenter slug; throws naming the valid slugs. */
export function digitaloceanRegionOf(location: string, setting = "location"): string {
  const region = digitaloceanRegions[location];
  if (!region) {
    throw new Error(`DigitalOcean ${setting} "${location}" is not a known region. Use one of: ${Object.keys(digitaloceanRegions).join(", ")}.`);
  }
  return region;
}
