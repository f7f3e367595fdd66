/** Renders a cost estimate as the text table `sandfleet cost` prints. */
import type { CostEstimate, Money } from "./estimate";

export function formatCostTable(estimate: CostEstimate, source: string): string {
  const rows: string[][] = [["", "provider", "servers", "slots", "per month", "per slot"]];
  for (const line of estimate.lines) {
    rows.push([
      line.kind === "pool" ? `pool ${line.name}` : line.name,
      line.provider,
      line.servers > 0 ? String(line.servers) : "",
      line.kind === "pool" ? String(line.slots) : "",
      money(line.monthly, line.currency),
      line.perSlot !== undefined ? money(line.perSlot, line.currency) : "",
    ]);
    for (const item of line.items) {
      rows.push([`  ${item.what}`, "", "", "", `${item.quantity} x ${item.unitMonthly.toFixed(2)}`, ""]);
    }
    for (const note of line.notes) rows.push([`  (${note})`, "", "", "", "", ""]);
  }
  const servers = estimate.lines.reduce((n, l) => n + l.servers, 0);
  rows.push(["total", "", String(servers), String(estimate.slots), moneys(estimate.monthly), moneys(estimate.perSlot)]);
  rows.push(["workspace pools only", "", "", "", "", moneys(estimate.workspacePerSlot)]);

  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => r[col].length)));
  const render = (r: string[]) =>
    r.map((cell, col) => (col === 0 || col === 1 ? cell.padEnd(widths[col]) : cell.padStart(widths[col]))).join("  ").trimEnd();
  const rule = "-".repeat(widths.reduce((a, b) => a + b + 2, -2));

  const out = [
    `sandfleet cost: stack ${estimate.stack} (${source}): monthly list prices, without VAT, nothing deployed`,
    "",
    render(rows[0]),
    rule,
    ...rows.slice(1, -2).map(render),
    rule,
    ...rows.slice(-2).map(render),
    "",
    "prices: " + estimate.prices.map((p) => `${p.provider} ${p.currency} ${p.region}, checked ${p.checked} (cost/prices/${p.provider}.ts)`).join("; "),
    ...estimate.caveats.map((c) => `  - ${c}`),
  ];
  return out.join("\n") + "\n";
}

function money(amount: number, currency: string): string {
  return `${amount.toFixed(2)} ${currency}`;
}

function moneys(amounts: Money): string {
  const parts = Object.entries(amounts).map(([currency, amount]) => money(amount!, currency));
  return parts.length > 0 ? parts.join(" + ") : "-";
}
