/**
 * DigitalOcean list prices as published by DigitalOcean (digitalocean.com/pricing), checked 2025-06, from
 * the author's knowledge of the published prices: this environment has no internet access, so re-check at
 * the source before relying on them. USD, the same in every region; Droplets are billed hourly up to this
 * monthly cap and include their IPv4 address and disk.
 * Not re-checked on 2026-12-01: the search tool found no first-party or well-sourced 2026 list for these
 * types (third-party tables disagreed by a few percent), so the 2025-06 figures stand, still to verify.
 */
import type { PriceTable } from "./price-table";

export const digitaloceanPrices: PriceTable = {
  provider: "digitalocean",
  currency: "USD",
  checked: "2025-06",
  pricedRegion: "all regions",
  caveats: [
    "DigitalOcean prices exclude VAT / sales tax; outbound transfer beyond the Droplets' pooled allowance is billed per GB.",
    "DigitalOcean has no spot capacity; spot pools are priced as regular Droplets.",
  ],
  servers: {
    source: "https://www.digitalocean.com/pricing/droplets",
    monthly: {
      "s-1vcpu-1gb": 6,
      "s-1vcpu-2gb": 12,
      "s-2vcpu-2gb": 18,
      "s-2vcpu-4gb": 24,
      "s-4vcpu-8gb": 48,
      "s-8vcpu-16gb": 96,
      "c-2": 42,
      "c-4": 84,
      "c-8": 168,
      "g-2vcpu-8gb": 63,
      "g-4vcpu-16gb": 126,
      "m-2vcpu-16gb": 84,
    },
  },
  volumes: { source: "https://www.digitalocean.com/pricing/volumes", perGbMonth: { volume: 0.1 }, defaultType: "volume" },
  publicIpv4: { source: "https://www.digitalocean.com/pricing/droplets", monthly: 0 },
  // Free while assigned to a Droplet (billed only when left unassigned).
  stableIp: { source: "https://docs.digitalocean.com/products/networking/reserved-ips/details/pricing/", monthly: 0, replacesServerIpv4: false },
  loadBalancers: {
    source: "https://www.digitalocean.com/pricing/load-balancers",
    monthly: { "lb-small": 12 },
    defaultType: "lb-small",
  },
};
