/**
 * The shape of a provider's price table. One file per provider (cost/prices/<provider>.ts), each dated and
 * with the page every figure group was read from. Figures are list prices for one region, on-demand,
 * without VAT, committed-use or sustained-use discounts, traffic, or per-request charges.
 */
import type { ProviderName } from "../../components/provider";

export type Currency = "EUR" | "USD";

/** Hours per month the clouds use to turn hourly prices into monthly ones (8760 / 12). */
export const HOURS_PER_MONTH = 730;

/** Monthly price of something listed per hour. */
export const perHour = (usdPerHour: number): number => usdPerHour * HOURS_PER_MONTH;

export interface PriceTable {
  provider: ProviderName;
  currency: Currency;
  /** When the figures were taken (YYYY-MM). */
  checked: string;
  /** The region the figures are for; other regions differ. */
  pricedRegion: string;
  /** VAT, region and billing caveats printed with every estimate that uses this table. */
  caveats: string[];
  /** Monthly price per server type (compute only; local disk included where the provider bundles it). */
  servers: { source: string; monthly: Readonly<Record<string, number>> };
  /** Server types the provider no longer sells, each with its successor (from the provider's type table). */
  retiredServerTypes?: Readonly<Record<string, string>>;
  /** Block storage per GB and month, by volume type; `default` is what sandfleet creates unless configured. */
  volumes: { source: string; perGbMonth: Readonly<Record<string, number>>; defaultType: string };
  /**
   * A boot disk billed apart from the server (AWS root EBS, GCP boot disk, Azure OS disk); absent where the
   * server type includes its disk. `configKey` names the `sandfleet:<provider>` setting holding its size.
   */
  bootDisk?: { defaultGb: number; configKey: string; volumeTypeConfigKey?: string };
  /** The public IPv4 address every server gets, per month (0 when included in the server price). */
  publicIpv4: { source: string; monthly: number };
  /**
   * The platform's stable IP (floating / elastic / static / reserved). `replacesServerIpv4`: it takes the
   * place of the server's own public IPv4 (AWS EIP, GCP static natIP, Azure public IP) instead of adding one.
   */
  stableIp: { source: string; monthly: number; replacesServerIpv4: boolean };
  /** Load balancer base price per type; traffic / LCU / rule charges are not included. */
  loadBalancers: { source: string; monthly: Readonly<Record<string, number>>; defaultType: string };
  /**
   * Share of the on-demand compute price a spot / preemptible server costs on average: an assumption, since
   * spot prices move; absent where the provider has no spot capacity.
   */
  spotFactor?: number;
}
