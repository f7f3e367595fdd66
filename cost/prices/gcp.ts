/**
 * Google Cloud list prices as published by Google (cloud.google.com/compute/vm-instance-pricing), checked
 * 2025-06, from the author's knowledge of the published prices: this environment has no internet access, so
 * re-check at the source (or the Google Cloud pricing calculator) before relying on them. USD, us-central1,
 * on-demand, hourly price x 730 h, without sustained-use or committed-use discounts (so N2/N2D/C2 come out
 * up to 30% high for servers that run all month).
 * Not re-checked on 2026-12-01: the search tool found no first-party or well-sourced 2026 list for these
 * types (third-party tables disagreed by a few percent), so the 2025-06 figures stand, still to verify.
 */
import { perHour, type PriceTable } from "./price-table";

export const gcpPrices: PriceTable = {
  provider: "gcp",
  currency: "USD",
  checked: "2025-06",
  pricedRegion: "us-central1",
  caveats: [
    "GCP figures are us-central1 list prices; European regions are about 10-20% dearer.",
    "Sustained-use discounts (N2, N2D, C2) and committed-use discounts are not applied; egress is not included.",
    "Spot pools are estimated at 30% of on-demand (Google quotes 60-91% off); spot prices move.",
  ],
  servers: {
    source: "https://cloud.google.com/compute/vm-instance-pricing",
    monthly: {
      "e2-medium": perHour(0.033503),
      "e2-standard-2": perHour(0.067006),
      "e2-standard-4": perHour(0.134012),
      "e2-standard-8": perHour(0.268024),
      "e2-highcpu-4": perHour(0.09894),
      "e2-highcpu-8": perHour(0.19788),
      "n2-standard-2": perHour(0.097118),
      "n2-standard-4": perHour(0.194236),
      "n2-standard-8": perHour(0.388472),
      "n2-highcpu-4": perHour(0.143428),
      "n2-highcpu-8": perHour(0.286856),
      "n2d-standard-2": perHour(0.084492),
      "n2d-standard-4": perHour(0.168984),
      "n2d-standard-8": perHour(0.337968),
      "n2d-highcpu-4": perHour(0.124776),
      "n2d-highcpu-8": perHour(0.249552),
      "c2-standard-4": perHour(0.2088),
      "c2-standard-8": perHour(0.4176),
      "c3-standard-4": perHour(0.201608),
      "c3-standard-8": perHour(0.403216),
    },
  },
  volumes: {
    source: "https://cloud.google.com/compute/disks-image-pricing",
    perGbMonth: { "pd-balanced": 0.1, "pd-ssd": 0.17, "pd-standard": 0.04 },
    defaultType: "pd-balanced",
  },
  bootDisk: { defaultGb: 20, configKey: "bootDiskGb", volumeTypeConfigKey: "diskType" },
  publicIpv4: { source: "https://cloud.google.com/vpc/network-pricing#ipaddress", monthly: perHour(0.005) },
  stableIp: { source: "https://cloud.google.com/vpc/network-pricing#ipaddress", monthly: perHour(0.005), replacesServerIpv4: true },
  loadBalancers: {
    source: "https://cloud.google.com/vpc/network-pricing#lb",
    // One forwarding rule (the first five cost the same); processed data is extra.
    monthly: { "network-passthrough": perHour(0.025) },
    defaultType: "network-passthrough",
  },
  spotFactor: 0.3,
};
