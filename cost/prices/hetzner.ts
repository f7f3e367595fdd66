/**
 * Hetzner Cloud list prices as published by Hetzner Online (hetzner.com/cloud), checked 2025-06, from the
 * author's knowledge of the published price list: this environment has no internet access, so re-check the
 * figures at the source before relying on them. EUR, excluding VAT, for the German and Finnish locations
 * (fsn1, nbg1, hel1). Servers are billed hourly up to this monthly cap.
 */
import type { PriceTable } from "./price-table";

export const hetznerPrices: PriceTable = {
  provider: "hetzner",
  currency: "EUR",
  checked: "2025-06",
  pricedRegion: "eu-central (fsn1, nbg1, hel1)",
  caveats: [
    "Hetzner list prices exclude VAT: consumers in Germany pay 19% on top (x 1.19); EU businesses are invoiced by reverse charge.",
    "US (ash, hil) and Singapore (sin) locations cost more and include less traffic.",
    "20 TB of traffic per server is included in EU locations; beyond that traffic is billed per TB.",
  ],
  servers: {
    source: "https://www.hetzner.com/cloud/",
    monthly: {
      // Shared vCPU, Intel (cost-optimised).
      cx22: 3.79,
      cx32: 6.8,
      cx42: 16.4,
      cx52: 32.4,
      // Shared vCPU, AMD.
      cpx11: 4.35,
      cpx21: 7.55,
      cpx31: 13.6,
      cpx41: 25.2,
      cpx51: 54.9,
      // Shared vCPU, Ampere (arm64).
      cax11: 3.79,
      cax21: 6.49,
      cax31: 12.49,
      cax41: 24.49,
      // Dedicated vCPU, AMD.
      ccx13: 12.49,
      ccx23: 24.49,
      ccx33: 48.49,
      ccx43: 96.49,
      ccx53: 192.49,
      ccx63: 288.49,
    },
  },
  volumes: { source: "https://www.hetzner.com/cloud/#volumes", perGbMonth: { volume: 0.044 }, defaultType: "volume" },
  publicIpv4: { source: "https://docs.hetzner.com/cloud/servers/primary-ips/faq/", monthly: 0.5 },
  stableIp: { source: "https://docs.hetzner.com/cloud/floating-ips/faq/", monthly: 3.0, replacesServerIpv4: false },
  loadBalancers: {
    source: "https://www.hetzner.com/cloud/load-balancer",
    monthly: { lb11: 5.39, lb21: 16.4, lb31: 32.9 },
    defaultType: "lb11",
  },
};
