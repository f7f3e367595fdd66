/**
 * Monthly cost of a stack and cost per container slot, from the stack config and the dated price tables.
 * Pure (no @pulumi, no I/O): the CLI (`sandfleet cost`) prints it and the stack program can export it as a
 * stack output.
 *
 * What is counted per server: the server type, its data volume, a boot disk where billed apart (AWS, GCP,
 * Azure), its public IPv4; for the platform also the stable IP and the load balancer. A slot is one container
 * a workspace server may run (`maxContainers`); draining pools cost money but offer no slots.
 */
import type { ProviderName } from "../components/provider";
import type { PoolConfig, StackConfig } from "../stacks/config";
import { priceTables as defaultPriceTables, type Currency, type PriceTable } from "./prices";

/** The part of the stack config the estimate reads (a parsed StackConfig fits). */
export interface CostInput {
  stack: string;
  provider: ProviderName;
  platform: Pick<StackConfig["platform"], "serverType" | "volumeGb" | "floatingIp"> & {
    loadBalancer: Pick<StackConfig["platform"]["loadBalancer"], "enabled" | "type">;
  };
  pools: Pick<PoolConfig, "name" | "provider" | "count" | "serverType" | "volumeGb" | "maxContainers" | "spot" | "draining">[];
  /** `sandfleet:<provider>` sections (boot disk size and disk type are read from there). */
  providers?: StackConfig["providers"];
}

export interface CostOptions {
  /** Price tables to use. @default the tables in cost/prices */
  priceTables?: Readonly<Partial<Record<ProviderName, PriceTable>>>;
  /** Monthly prices of server types missing from the tables, per provider, in the table's currency. @default {} */
  extraServerPrices?: Partial<Record<ProviderName, Record<string, number>>>;
}

export type Money = Partial<Record<Currency, number>>;

export interface CostItem {
  what: string;
  quantity: number;
  unitMonthly: number;
  monthly: number;
}

export interface CostLine {
  kind: "platform" | "pool" | "load-balancer";
  name: string;
  provider: ProviderName;
  currency: Currency;
  servers: number;
  /** Container slots this line offers (pools that are not draining). */
  slots: number;
  items: CostItem[];
  monthly: number;
  /** monthly / slots, for pools with slots. */
  perSlot?: number;
  notes: string[];
}

export interface CostEstimate {
  stack: string;
  lines: CostLine[];
  /** Monthly total per currency (providers are not converted into each other). */
  monthly: Money;
  slots: number;
  /** Everything (platform and load balancer included) divided by the slots, per currency. */
  perSlot: Money;
  /** Workspace pools only, divided by the slots, per currency: comparable to "N containers on one host". */
  workspacePerSlot: Money;
  /** The price tables used: provider, currency, region, date. */
  prices: { provider: ProviderName; currency: Currency; region: string; checked: string }[];
  caveats: string[];
}

/** A config the price tables cannot price; the message names the setting and the fix. */
export class CostEstimateError extends Error {
  override readonly name = "CostEstimateError";
}

export function estimateStackCost(config: CostInput, options: CostOptions = {}): CostEstimate {
  const tables = options.priceTables ?? defaultPriceTables;
  const used = new Set<ProviderName>();
  const lines: CostLine[] = [];
  const caveats: string[] = [];

  const priceOf = (provider: ProviderName) => {
    if (!tables[provider] && provider !== "local") {
      throw new CostEstimateError(`provider ${provider}: no price table in cost/prices/; add cost/prices/${provider}.ts and register it in cost/prices/index.ts.`);
    }
    used.add(provider);
    return new ProviderPricing(provider, tables[provider], options.extraServerPrices?.[provider] ?? {}, config.providers?.[provider] ?? {});
  };

  // Platform server.
  const platformPricing = priceOf(config.provider);
  const platformItems = platformPricing.serverItems("sandfleet:platform.serverType", config.platform.serverType, 1, config.platform.volumeGb, false);
  if (config.platform.floatingIp) platformItems.push(...platformPricing.stableIpItems(1));
  lines.push(line("platform", "platform", platformPricing, 1, 0, platformItems, []));

  if (config.platform.loadBalancer.enabled) {
    const lbItems = platformPricing.loadBalancerItems(config.platform.loadBalancer.type);
    lines.push(line("load-balancer", "load balancer", platformPricing, 0, 0, lbItems, []));
  }

  for (const pool of config.pools) {
    const pricing = priceOf(pool.provider);
    const notes: string[] = [];
    const spot = pool.spot && pricing.table?.spotFactor !== undefined;
    if (pool.spot && pricing.table && !spot) notes.push(`${pool.provider} has no spot capacity: priced on demand`);
    if (spot) notes.push(`spot, estimated at ${Math.round(pricing.table!.spotFactor! * 100)}% of on-demand`);
    const items = pricing.serverItems(`sandfleet:pools.${pool.name}.serverType`, pool.serverType, pool.count, pool.volumeGb, spot);
    const slots = pool.draining ? 0 : pool.count * pool.maxContainers;
    if (pool.draining) notes.push("draining: still billed, offers no new slots");
    lines.push(line("pool", pool.name, pricing, pool.count, slots, items, notes));
  }

  for (const provider of used) {
    const table = tables[provider];
    if (table) caveats.push(...table.caveats);
    else caveats.push(`${provider}: runs on your own machine; no provider charges.`);
  }

  const monthly = sumByCurrency(lines);
  const workspace = sumByCurrency(lines.filter((l) => l.kind === "pool"));
  const slots = lines.reduce((n, l) => n + l.slots, 0);
  return {
    stack: config.stack,
    lines,
    monthly,
    slots,
    perSlot: slots > 0 ? divide(monthly, slots) : {},
    workspacePerSlot: slots > 0 ? divide(workspace, slots) : {},
    prices: [...used]
      .map((p) => tables[p])
      .filter((t): t is PriceTable => t !== undefined)
      .map((t) => ({ provider: t.provider, currency: t.currency, region: t.pricedRegion, checked: t.checked })),
    caveats,
  };
}

/** Prices of one provider, with the stack's provider settings (boot disk size, disk type) applied. */
class ProviderPricing {
  constructor(
    readonly provider: ProviderName,
    readonly table: PriceTable | undefined,
    private readonly extraServerPrices: Record<string, number>,
    private readonly settings: Record<string, unknown>,
  ) {}

  get currency(): Currency {
    return this.table?.currency ?? "USD";
  }

  serverItems(key: string, serverType: string, count: number, volumeGb: number, spot: boolean): CostItem[] {
    const table = this.table;
    if (!table) return [item(`${serverType} (local)`, count, 0)];
    const listed = this.extraServerPrices[serverType] ?? table.servers.monthly[serverType];
    const successor = table.retiredServerTypes?.[serverType];
    if (listed === undefined && successor !== undefined) {
      const price = table.servers.monthly[successor];
      throw new CostEstimateError(
        `${key}: ${this.provider} server type "${serverType}" can no longer be ordered; use ${successor}` +
          `${price === undefined ? "" : ` (${price.toFixed(2)} ${table.currency} a month)`}, which \`pulumi preview\` also asks for.`,
      );
    }
    if (listed === undefined) {
      const known = Object.keys(table.servers.monthly).join(", ");
      throw new CostEstimateError(
        `${key}: no price for ${this.provider} server type "${serverType}" in cost/prices/${this.provider}.ts (checked ${table.checked}). ` +
          `Known types: ${known}. Pass its monthly price with --price ${this.provider}:${serverType}=<${table.currency}>, or add it to the table.`,
      );
    }
    const items = [item(`server ${serverType}${spot ? " (spot)" : ""}`, count, spot ? listed * table.spotFactor! : listed)];
    const volumeType = this.volumeType();
    if (volumeGb > 0) items.push(item(`volume ${volumeGb} GB${volumeType === "volume" ? "" : ` ${volumeType}`}`, count, volumeGb * table.volumes.perGbMonth[volumeType]));
    if (table.bootDisk) {
      const bootGb = numberSetting(this.settings[table.bootDisk.configKey], table.bootDisk.defaultGb);
      items.push(item(`boot disk ${bootGb} GB${volumeType === "volume" ? "" : ` ${volumeType}`}`, count, bootGb * table.volumes.perGbMonth[volumeType]));
    }
    if (table.publicIpv4.monthly > 0) items.push(item("public IPv4", count, table.publicIpv4.monthly));
    return items.filter((i) => i.quantity > 0);
  }

  stableIpItems(count: number): CostItem[] {
    const table = this.table;
    if (!table) return [];
    // A stable IP that replaces the server's own address only swaps one billed IPv4 for another.
    if (table.stableIp.replacesServerIpv4) return [];
    return [item("stable IP", count, table.stableIp.monthly)];
  }

  loadBalancerItems(type: string | undefined): CostItem[] {
    const table = this.table;
    if (!table) return [];
    const lbType = type ?? table.loadBalancers.defaultType;
    const price = table.loadBalancers.monthly[lbType];
    if (price === undefined) {
      throw new CostEstimateError(
        `sandfleet:platform.loadBalancer.type: no price for ${this.provider} load balancer type "${lbType}" in cost/prices/${this.provider}.ts. ` +
          `Known types: ${Object.keys(table.loadBalancers.monthly).join(", ")}.`,
      );
    }
    return [item(`load balancer ${lbType}`, 1, price)];
  }

  private volumeType(): string {
    const table = this.table!;
    const key = table.bootDisk?.volumeTypeConfigKey;
    const configured = key ? this.settings[key] : undefined;
    return typeof configured === "string" && table.volumes.perGbMonth[configured] !== undefined ? configured : table.volumes.defaultType;
  }
}

function item(what: string, quantity: number, unitMonthly: number): CostItem {
  return { what, quantity, unitMonthly, monthly: quantity * unitMonthly };
}

function line(kind: CostLine["kind"], name: string, pricing: ProviderPricing, servers: number, slots: number, items: CostItem[], notes: string[]): CostLine {
  const monthly = items.reduce((sum, i) => sum + i.monthly, 0);
  return {
    kind,
    name,
    provider: pricing.provider,
    currency: pricing.currency,
    servers,
    slots,
    items,
    monthly,
    ...(slots > 0 ? { perSlot: monthly / slots } : {}),
    notes,
  };
}

function sumByCurrency(lines: CostLine[]): Money {
  const money: Money = {};
  for (const l of lines) money[l.currency] = (money[l.currency] ?? 0) + l.monthly;
  return money;
}

function divide(money: Money, by: number): Money {
  const result: Money = {};
  for (const [currency, amount] of Object.entries(money) as [Currency, number][]) result[currency] = amount / by;
  return result;
}

function numberSetting(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}
