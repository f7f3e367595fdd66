/** Azure regions sandfleet accepts (the `location` of every resource). */
export const azureRegions = [
  "westeurope",
  "northeurope",
  "germanywestcentral",
  "francecentral",
  "uksouth",
  "swedencentral",
  "switzerlandnorth",
  "norwayeast",
  "polandcentral",
  "eastus",
  "eastus2",
  "centralus",
  "westus2",
  "westus3",
  "canadacentral",
  "brazilsouth",
  "australiaeast",
  "japaneast",
  "koreacentral",
  "southeastasia",
  "centralindia",
] as const;

/** The region of a location; throws naming the valid ones. */
export function azureRegionOf(location: string, setting = "location"): string {
  if (!(azureRegions as readonly string[]).includes(location)) {
    throw new Error(`Azure ${setting} "${location}" is not a known region. Use one of: ${azureRegions.join(", ")}.`);
  }
  return location;
}
