import { describe, expect, it } from "vitest";
import { costStackOutput, type CostInput } from "../../../cost";

const stack: CostInput = {
  stack: "dev",
  provider: "hetzner",
  platform: { serverType: "cx23", volumeGb: 10, floatingIp: true, loadBalancer: { enabled: false } },
  pools: [{ name: "standard", provider: "hetzner", count: 2, serverType: "cx33", volumeGb: 0, maxContainers: 10, spot: false, draining: false }],
};

describe("the costEstimate stack output", () => {
  it("summarises the monthly cost, the slots and the cost per slot in cents, with the price date", () => {
    const { summary, warning } = costStackOutput(stack);
    expect(warning).toBeUndefined();
    const platform = 5.49 + 10 * 0.0572 + 0.5 + 3.0;
    const pool = 2 * (8.49 + 0.5);
    expect(summary!.monthly).toEqual({ EUR: Math.round((platform + pool) * 100) / 100 });
    expect(summary!.slots).toBe(20);
    expect(summary!.perSlot.EUR).toBe(Math.round(((platform + pool) / 20) * 100) / 100);
    expect(summary!.pools.standard).toEqual({ monthly: Math.round(pool * 100) / 100, currency: "EUR", slots: 20 });
    expect(summary!.prices[0]).toMatch(/^hetzner EUR .* \d{4}-\d{2}$/);
  });

  it("turns an unpriced server type into a warning instead of failing the deployment", () => {
    const { summary, warning } = costStackOutput({ ...stack, pools: [{ ...stack.pools[0], serverType: "cx99" }] });
    expect(summary).toBeUndefined();
    expect(warning).toContain('no price for hetzner server type "cx99"');
  });
});
