/**
 * Hetzner Cloud list prices for servers ordered after Hetzner's 2026-06-15 price change (servers ordered
 * before keep their older rate until rescaled), EUR excluding VAT, for the German and Finnish locations
 * (fsn1, nbg1, hel1). Servers are billed hourly up to this monthly cap. Checked 2026-12-01 from:
 *  - servers: Hetzner's own price API behind its plan pages, as read on 2026-09-04 (robhunter/agentdeals#1181,
 *    #1286); those page prices include the primary IPv4 (EUR 0.50), which this table lists apart, so each
 *    figure here is the page price minus 0.50. Cross-checked: CX23-CX53 5.49/8.49/15.99/29.49
 *    (CanineHQ/canine#652, 2026-07), CX23 5.49, CPX22 19.49, CCX13 42.99, CCX53 533.49 and CAX41 40.99 from
 *    Hetzner's price-adjustment page (robhunter/agentdeals#1324), CPX52 100.49 (wz-it.com, 2026-06).
 *    CCX23, CCX33, CCX43 and CCX63 could not be verified and are left out: `sandfleet cost` then asks for
 *    `--price hetzner:<type>=<monthly>`. The first-generation CPX types are sold in the US only (priced in
 *    USD there), so they are not in this EU table either.
 *  - volumes: EUR 0.0572 per GB and month from Hetzner's pricing API on 2026-05-27 (devantler-tech/platform
 *    commit cb791c6); the June change did not touch volumes, IPs or load balancers.
 *  - floating IPv4 and load balancers: NOT re-verified since 2025-06 (Hetzner's 2026-04-01 increase may
 *    have raised them); re-check at the source before relying on them.
 */
import { retiredHetznerServerTypes } from "../../components/hetzner/server-types";
import type { PriceTable } from "./price-table";

export const hetznerPrices: PriceTable = {
  provider: "hetzner",
  currency: "EUR",
  checked: "2026-12",
  pricedRegion: "eu-central (fsn1, nbg1, hel1)",
  caveats: [
    "Prices are for servers ordered from 2026-06-15 on; servers ordered earlier keep their older rate until rescaled.",
    "Hetzner list prices exclude VAT: consumers in Germany pay 19% on top (x 1.19); EU businesses are invoiced by reverse charge.",
    "US (ash, hil) and Singapore (sin) locations cost more and include less traffic.",
    "20 TB of traffic per server is included in EU locations; beyond that traffic is billed per TB.",
  ],
  servers: {
    source: "https://www.hetzner.com/cloud/",
    monthly: {
      // Shared vCPU, Intel/AMD (cost-optimised). Marked "not available" (sold out) on Hetzner's site on
      // 2026-09-04; orders then fail with resource_unavailable until capacity returns.
      cx23: 5.49,
      cx33: 8.49,
      cx43: 15.99,
      cx53: 29.49,
      // Shared vCPU, Ampere (arm64); same availability note as CX.
      cax11: 5.99,
      cax21: 10.49,
      cax31: 20.99,
      cax41: 40.99,
      // Shared vCPU, AMD (regular performance).
      cpx12: 11.49,
      cpx22: 19.49,
      cpx32: 35.49,
      cpx42: 69.49,
      cpx52: 100.49,
      cpx62: 129.99,
      // Dedicated vCPU, AMD (only the verified ones, see above).
      ccx13: 42.99,
      ccx53: 533.49,
    },
  },
  retiredServerTypes: Object.fromEntries(Object.entries(retiredHetznerServerTypes).map(([type, { successor }]) => [type, successor])),
  volumes: { source: "https://www.hetzner.com/cloud/#volumes", perGbMonth: { volume: 0.0572 }, defaultType: "volume" },
  publicIpv4: { source: "https://docs.hetzner.com/cloud/servers/primary-ips/faq/", monthly: 0.5 },
  stableIp: { source: "https://docs.hetzner.com/cloud/floating-ips/faq/", monthly: 3.0, replacesServerIpv4: false },
  loadBalancers: {
    source: "https://www.hetzner.com/cloud/load-balancer",
    monthly: { lb11: 5.39, lb21: 16.4, lb31: 32.9 },
    defaultType: "lb11",
  },
};
