/**
 * Hetzner Cloud locations and the network zone each belongs to. A network subnet lives in one zone and
 * only servers (and load balancers) of that zone can join it, so the zone is derived from the location
 * rather than configured twice.
 */
export const hetznerNetworkZones = ["eu-central", "us-east", "us-west", "ap-southeast"] as const;
export type HetznerNetworkZone = (typeof hetznerNetworkZones)[number];

export const hetznerLocations: Readonly<Record<string, HetznerNetworkZone>> = {
  fsn1: "eu-central",
  nbg1: "eu-central",
  hel1: "eu-central",
  ash: "us-east",
  hil: "us-west",
  sin: "ap-southeast",
};

/** The network zone of a Hetzner location; throws naming the valid locations when it is unknown. */
export function networkZoneOf(location: string, setting = "location"): HetznerNetworkZone {
  const zone = hetznerLocations[location];
  if (!zone) {
    const valid = Object.entries(hetznerLocations)
      .map(([loc, z]) => `${loc} (${z})`)
      .join(", ");
    throw new Error(`Hetzner ${setting} "${location}" is not a known location. Use one of: ${valid}.`);
  }
  return zone;
}
