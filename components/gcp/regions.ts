/**
 * GCP regions sandfleet accepts and how a stack location maps onto region + zone. A location is either a
 * region (`europe-west3`, servers go to its first zone) or a zone (`europe-west3-b`).
 */
/** Region -> its zones' suffixes, first = default. */
export const gcpRegions: Readonly<Record<string, readonly string[]>> = {
  "us-central1": ["a", "b", "c", "f"],
  "us-east1": ["b", "c", "d"],
  "us-east4": ["a", "b", "c"],
  "us-west1": ["a", "b", "c"],
  "us-west2": ["a", "b", "c"],
  "northamerica-northeast1": ["a", "b", "c"],
  "southamerica-east1": ["a", "b", "c"],
  "europe-west1": ["b", "c", "d"],
  "europe-west2": ["a", "b", "c"],
  "europe-west3": ["a", "b", "c"],
  "europe-west4": ["a", "b", "c"],
  "europe-west6": ["a", "b", "c"],
  "europe-north1": ["a", "b", "c"],
  "europe-central2": ["a", "b", "c"],
  "asia-east1": ["a", "b", "c"],
  "asia-northeast1": ["a", "b", "c"],
  "asia-south1": ["a", "b", "c"],
  "asia-southeast1": ["a", "b", "c"],
  "australia-southeast1": ["a", "b", "c"],
};

export interface GcpPlacement {
  region: string;
  zone: string;
}

/** Region and zone of a location; throws naming the valid regions/zones when it is unknown. */
export function gcpPlacementOf(location: string, setting = "location"): GcpPlacement {
  const match = /^([a-z]+-[a-z]+\d+)(?:-([a-z]))?$/.exec(location);
  const zones = match ? gcpRegions[match[1]] : undefined;
  if (!match || !zones) {
    throw new Error(
      `GCP ${setting} "${location}" is not a known region or zone. Use a region (servers go to its first zone) ` +
        `or a zone such as "europe-west3-b"; regions: ${Object.keys(gcpRegions).join(", ")}.`,
    );
  }
  const suffix = match[2] ?? zones[0];
  if (!zones.includes(suffix)) {
    throw new Error(`GCP ${setting} "${location}" is not a zone of ${match[1]}; use one of: ${zones.map((z) => `${match[1]}-${z}`).join(", ")}.`);
  }
  return { region: match[1], zone: `${match[1]}-${suffix}` };
}
