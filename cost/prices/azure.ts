/**
 * Microsoft Azure list prices as published by Microsoft (azure.microsoft.com/pricing/details/virtual-machines/linux/),
 * checked 2025-06, from the author's knowledge of the published prices: this environment has no internet
 * access, so re-check at the source (or the Azure pricing calculator) before relying on them. USD, East US,
 * Linux pay-as-you-go, hourly price x 730 h. Managed disks are sold in size tiers; the per-GB figures here
 * are the tier price divided by its size (E10 128 GB, P10 128 GB, S10 128 GB), so small disks come out low.
 * Not re-checked on 2026-12-01: the search tool found no first-party or well-sourced 2026 list for these
 * types (third-party tables disagreed by a few percent), so the 2025-06 figures stand, still to verify.
 */
import { perHour, type PriceTable } from "./price-table";

export const azurePrices: PriceTable = {
  provider: "azure",
  currency: "USD",
  checked: "2025-06",
  pricedRegion: "eastus",
  caveats: [
    "Azure figures are East US list prices; West Europe is about 10-15% dearer.",
    "Managed disks are billed by size tier (a 30 GB OS disk is billed as a 32 GB tier); per-GB figures approximate the tiers.",
    "Spot pools are estimated at 25% of pay-as-you-go; spot prices and evictions vary by region and size.",
  ],
  servers: {
    source: "https://azure.microsoft.com/pricing/details/virtual-machines/linux/",
    monthly: {
      Standard_B2s: perHour(0.0416),
      Standard_B2ms: perHour(0.0832),
      Standard_B4ms: perHour(0.166),
      Standard_D2s_v5: perHour(0.096),
      Standard_D4s_v5: perHour(0.192),
      Standard_D8s_v5: perHour(0.384),
      Standard_D16s_v5: perHour(0.768),
      Standard_D2as_v5: perHour(0.086),
      Standard_D4as_v5: perHour(0.172),
      Standard_D8as_v5: perHour(0.344),
      Standard_F2s_v2: perHour(0.0846),
      Standard_F4s_v2: perHour(0.169),
      Standard_F8s_v2: perHour(0.338),
      Standard_F16s_v2: perHour(0.677),
      Standard_E2s_v5: perHour(0.126),
      Standard_E4s_v5: perHour(0.252),
    },
  },
  volumes: {
    source: "https://azure.microsoft.com/pricing/details/managed-disks/",
    perGbMonth: {
      StandardSSD_LRS: 9.6 / 128,
      StandardSSD_ZRS: 12.0 / 128,
      Premium_LRS: 19.71 / 128,
      Premium_ZRS: 29.57 / 128,
      Standard_LRS: 5.89 / 128,
    },
    defaultType: "StandardSSD_LRS",
  },
  bootDisk: { defaultGb: 30, configKey: "osDiskGb", volumeTypeConfigKey: "diskSku" },
  publicIpv4: { source: "https://azure.microsoft.com/pricing/details/ip-addresses/", monthly: perHour(0.005) },
  stableIp: { source: "https://azure.microsoft.com/pricing/details/ip-addresses/", monthly: perHour(0.005), replacesServerIpv4: true },
  loadBalancers: {
    source: "https://azure.microsoft.com/pricing/details/load-balancer/",
    // Standard SKU, up to five rules; processed data is extra.
    monthly: { Standard: perHour(0.025) },
    defaultType: "Standard",
  },
  spotFactor: 0.25,
};
