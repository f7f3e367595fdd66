import { describe, expect, it } from "vitest";
import { CostEstimateError, estimateStackCost, type CostInput } from "../../../cost";
import { parseStackConfig } from "../../../stacks/config";

// Expected figures are worked out by hand from the list prices written here (EUR/USD per month or hour),
// so a wrong table entry or a wrong sum both fail.
const HOURS = 730;

/** A Hetzner stack as a stack file's `config:` map would give it. */
function hetznerStack(extra: { pools?: Record<string, unknown>; platform?: Record<string, unknown> } = {}) {
  return parseStackConfig(
    {
      "sandfleet:provider": "hetzner",
      "sandfleet:location": "fsn1",
      "sandfleet:adminCidrs": ["198.51.100.0/24"],
      "sandfleet:platform": { serverType: "cx23", volumeGb: 10, floatingIp: true, ...extra.platform },
      "sandfleet:pools": extra.pools ?? { standard: { count: 2, serverType: "cx33", maxContainers: 10 } },
    },
    "test",
  );
}

describe("estimateStackCost on Hetzner (EUR, without VAT)", () => {
  it("prices the dev shape: a cx23 platform with volume and floating IP, two cx33 workspace servers", () => {
    const estimate = estimateStackCost(hetznerStack());
    const platform = 5.49 /* cx23 */ + 10 * 0.0572 /* volume */ + 0.5 /* primary IPv4 */ + 3.0; /* floating IPv4 */
    const pool = 2 * (8.49 /* cx33 */ + 0.5);
    expect(estimate.monthly.EUR).toBeCloseTo(platform + pool, 6);
    expect(estimate.slots).toBe(20);
    expect(estimate.perSlot.EUR).toBeCloseTo((platform + pool) / 20, 6);
    expect(estimate.workspacePerSlot.EUR).toBeCloseTo(pool / 20, 6);
    expect(estimate.monthly.USD).toBeUndefined();
  });

  it("prices the prod shape: load balancer, a 4 x cx43 pool with 100 GB volumes and a 2 x cx33 pool", () => {
    const estimate = estimateStackCost(
      hetznerStack({
        platform: { serverType: "cx33", volumeGb: 50, loadBalancer: { enabled: true, type: "lb11" } },
        pools: {
          standard: { count: 4, serverType: "cx43", volumeGb: 100, maxContainers: 24 },
          burst: { count: 2, serverType: "cx33", maxContainers: 12 },
        },
      }),
    );
    const platform = 8.49 + 50 * 0.0572 + 0.5 + 3.0;
    const lb = 5.39;
    const standard = 4 * (15.99 + 100 * 0.0572 + 0.5);
    const burst = 2 * (8.49 + 0.5);
    expect(estimate.lines.map((l) => [l.kind, l.name])).toEqual([
      ["platform", "platform"],
      ["load-balancer", "load balancer"],
      ["pool", "standard"],
      ["pool", "burst"],
    ]);
    expect(estimate.lines[2].monthly).toBeCloseTo(standard, 6);
    expect(estimate.lines[2].perSlot).toBeCloseTo(standard / 96, 6);
    expect(estimate.monthly.EUR).toBeCloseTo(platform + lb + standard + burst, 6);
    expect(estimate.slots).toBe(4 * 24 + 2 * 12);
  });

  it("keeps billing a draining pool but counts none of its slots", () => {
    const estimate = estimateStackCost(
      hetznerStack({
        pools: {
          standard: { count: 2, serverType: "cx33", maxContainers: 10 },
          old: { count: 1, serverType: "cx43", maxContainers: 20, draining: true },
        },
      }),
    );
    const old = estimate.lines.find((l) => l.name === "old")!;
    expect(old.monthly).toBeCloseTo(15.99 + 0.5, 6);
    expect(old.slots).toBe(0);
    expect(old.notes.join()).toContain("draining");
    expect(estimate.slots).toBe(20);
  });

  it("prices a spot pool on Hetzner, which has no spot capacity, on demand and says so", () => {
    const estimate = estimateStackCost(hetznerStack({ pools: { standard: { count: 1, serverType: "cx33", maxContainers: 10, spot: true } } }));
    const pool = estimate.lines.find((l) => l.kind === "pool")!;
    expect(pool.monthly).toBeCloseTo(8.49 + 0.5, 6);
    expect(pool.notes.join()).toContain("no spot capacity");
  });
});

describe("estimateStackCost on the hyperscalers (USD, hourly x 730)", () => {
  it("prices an AWS stack: EIP in place of the platform's own IPv4, gp3 root and data volumes, NLB, a spot pool", () => {
    const config: CostInput = {
      stack: "aws",
      provider: "aws",
      platform: { serverType: "t3.medium", volumeGb: 20, floatingIp: true, loadBalancer: { enabled: true } },
      pools: [{ name: "burst", provider: "aws", count: 3, serverType: "m6i.xlarge", volumeGb: 0, maxContainers: 16, spot: true, draining: false }],
      providers: { aws: { rootVolumeGb: 30, volumeType: "gp3" } },
    };
    const estimate = estimateStackCost(config);
    const ipv4 = 0.005 * HOURS;
    const platform = 0.0416 * HOURS + 20 * 0.08 /* data */ + 30 * 0.08 /* root */ + ipv4; /* the EIP, replacing the auto IP */
    const nlb = 0.0225 * HOURS;
    const pool = 3 * (0.192 * HOURS * 0.35 + 30 * 0.08 + ipv4);
    expect(estimate.lines[0].monthly).toBeCloseTo(platform, 6);
    expect(estimate.lines[1].monthly).toBeCloseTo(nlb, 6);
    expect(estimate.lines[2].monthly).toBeCloseTo(pool, 6);
    expect(estimate.monthly.USD).toBeCloseTo(platform + nlb + pool, 6);
    expect(estimate.workspacePerSlot.USD).toBeCloseTo(pool / 48, 6);
  });

  it("prices a GCE spot host the way the LXC guide does (about 2 USD per user)", () => {
    const config: CostInput = {
      stack: "gce",
      provider: "gcp",
      platform: { serverType: "e2-medium", volumeGb: 0, floatingIp: false, loadBalancer: { enabled: false } },
      pools: [{ name: "spot", provider: "gcp", count: 1, serverType: "e2-standard-4", volumeGb: 0, maxContainers: 15, spot: true, draining: false }],
    };
    const estimate = estimateStackCost(config);
    const host = 0.134012 * HOURS * 0.3 + 20 * 0.1 /* default 20 GB pd-balanced boot disk */ + 0.005 * HOURS;
    expect(estimate.workspacePerSlot.USD).toBeCloseTo(host / 15, 6);
    expect(estimate.workspacePerSlot.USD).toBeGreaterThan(1.5);
    expect(estimate.workspacePerSlot.USD).toBeLessThan(3);
  });

  it("uses the disk type configured for the provider (Azure Premium SSD OS disks)", () => {
    const config: CostInput = {
      stack: "az",
      provider: "azure",
      platform: { serverType: "Standard_B2s", volumeGb: 0, floatingIp: false, loadBalancer: { enabled: false } },
      pools: [],
      providers: { azure: { osDiskGb: 64, diskSku: "Premium_LRS" } },
    };
    const estimate = estimateStackCost(config);
    expect(estimate.monthly.USD).toBeCloseTo(0.0416 * HOURS + 64 * (19.71 / 128) + 0.005 * HOURS, 6);
  });

  it("prices DigitalOcean droplets with their IPv4 included and a free assigned reserved IP", () => {
    const config: CostInput = {
      stack: "do",
      provider: "digitalocean",
      platform: { serverType: "s-2vcpu-4gb", volumeGb: 20, floatingIp: true, loadBalancer: { enabled: true } },
      pools: [{ name: "standard", provider: "digitalocean", count: 2, serverType: "s-4vcpu-8gb", volumeGb: 0, maxContainers: 12, spot: false, draining: false }],
    };
    expect(estimateStackCost(config).monthly.USD).toBeCloseTo(24 + 20 * 0.1 + 12 + 2 * 48, 6);
  });
});

describe("estimateStackCost on a stack that mixes providers", () => {
  it("totals each currency on its own and splits the per-slot cost by currency", () => {
    const config: CostInput = {
      stack: "mixed",
      provider: "hetzner",
      platform: { serverType: "cx23", volumeGb: 0, floatingIp: false, loadBalancer: { enabled: false } },
      pools: [
        { name: "standard", provider: "hetzner", count: 1, serverType: "cx33", volumeGb: 0, maxContainers: 10, spot: false, draining: false },
        { name: "burst", provider: "digitalocean", count: 1, serverType: "s-2vcpu-4gb", volumeGb: 0, maxContainers: 10, spot: false, draining: false },
      ],
    };
    const estimate = estimateStackCost(config);
    expect(estimate.monthly).toEqual({ EUR: expect.closeTo(5.49 + 0.5 + 8.49 + 0.5, 6), USD: 24 });
    expect(estimate.perSlot.EUR).toBeCloseTo((5.49 + 0.5 + 8.49 + 0.5) / 20, 6);
    expect(estimate.perSlot.USD).toBeCloseTo(24 / 20, 6);
    expect(estimate.prices.map((p) => p.provider)).toEqual(["hetzner", "digitalocean"]);
  });

  it("prices the local provider at zero and says it runs on your machine", () => {
    const config: CostInput = {
      stack: "local",
      provider: "local",
      platform: { serverType: "local", volumeGb: 0, floatingIp: false, loadBalancer: { enabled: false } },
      pools: [{ name: "standard", provider: "local", count: 2, serverType: "local", volumeGb: 0, maxContainers: 4, spot: false, draining: false }],
    };
    const estimate = estimateStackCost(config);
    expect(estimate.slots).toBe(8);
    expect(Object.values(estimate.monthly).every((v) => v === 0)).toBe(true);
    expect(estimate.caveats.join()).toContain("your own machine");
  });
});

describe("estimateStackCost on types the tables do not know", () => {
  const unknownType = () => hetznerStack({ pools: { standard: { count: 2, serverType: "cx99", maxContainers: 10 } } });

  it("fails naming the setting, the type, the known types and the fix", () => {
    expect(() => estimateStackCost(unknownType())).toThrow(CostEstimateError);
    expect(() => estimateStackCost(unknownType())).toThrow(/sandfleet:pools\.standard\.serverType: no price for hetzner server type "cx99"/);
    expect(() => estimateStackCost(unknownType())).toThrow(/Known types: cx23, cx33/);
    expect(() => estimateStackCost(unknownType())).toThrow(/--price hetzner:cx99=<EUR>/);
  });

  it("names the successor of a type the provider no longer sells, as an old stack file may still hold", () => {
    const retired = hetznerStack({ platform: { serverType: "cx22" } });
    expect(() => estimateStackCost(retired)).toThrow(/sandfleet:platform\.serverType: hetzner server type "cx22" can no longer be ordered; use cx23 \(5\.49 EUR a month\)/);
  });

  it("accepts a price given for the missing type", () => {
    const estimate = estimateStackCost(unknownType(), { extraServerPrices: { hetzner: { cx99: 9.99 } } });
    expect(estimate.lines[1].monthly).toBeCloseTo(2 * (9.99 + 0.5), 6);
  });

  it("fails on an unknown load balancer type", () => {
    const config = hetznerStack({ platform: { loadBalancer: { enabled: true, type: "lb99" } } });
    expect(() => estimateStackCost(config)).toThrow(/platform\.loadBalancer\.type: no price for hetzner load balancer type "lb99"/);
  });
});
