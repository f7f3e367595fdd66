/**
 * The cost estimate in the form the stack program exports (`costEstimate` stack output): a small summary,
 * rounded to cents, and never a reason to fail a deployment; a type without a price becomes a warning.
 *
 *   const cost = costStackOutput(config);
 *   if (cost.warning) pulumi.log.warn(cost.warning);
 *   export const costEstimate = cost.summary;
 */
import { estimateStackCost, type CostInput, type CostOptions, type Money } from "./estimate";

export interface CostSummary {
  /** Monthly list price per currency, without VAT. */
  monthly: Money;
  slots: number;
  perSlot: Money;
  workspacePerSlot: Money;
  pools: Record<string, { monthly: number; currency: string; slots: number }>;
  /** e.g. ["hetzner EUR eu-central (fsn1, nbg1, hel1) 2025-06"]: which tables, which date. */
  prices: string[];
  note: string;
}

export function costStackOutput(config: CostInput, options: CostOptions = {}): { summary?: CostSummary; warning?: string } {
  try {
    const estimate = estimateStackCost(config, options);
    const pools: CostSummary["pools"] = {};
    for (const line of estimate.lines.filter((l) => l.kind === "pool")) {
      pools[line.name] = { monthly: cents(line.monthly), currency: line.currency, slots: line.slots };
    }
    return {
      summary: {
        monthly: centsOf(estimate.monthly),
        slots: estimate.slots,
        perSlot: centsOf(estimate.perSlot),
        workspacePerSlot: centsOf(estimate.workspacePerSlot),
        pools,
        prices: estimate.prices.map((p) => `${p.provider} ${p.currency} ${p.region} ${p.checked}`),
        note: "List prices without VAT, traffic or discounts; see `sandfleet cost Pulumi.<stack>.yaml` for the breakdown.",
      },
    };
  } catch (error) {
    return { warning: `cost estimate skipped: ${(error as Error).message}` };
  }
}

function cents(amount: number): number {
  return Math.round(amount * 100) / 100;
}

function centsOf(money: Money): Money {
  const result: Money = {};
  for (const [currency, amount] of Object.entries(money) as [keyof Money, number][]) result[currency] = cents(amount);
  return result;
}
