import { describe, expect, it } from "vitest";
import { addressPlanProblems, defaultAddressBlock, planAddresses } from "../../../components/fleet/address-plan";
import { parseIpv4Cidr, ipv4ToInt } from "../../../components/fleet/ip-cidr";

const ipsOf = (plan: ReturnType<typeof planAddresses>) =>
  Object.fromEntries(Object.values(plan.pools).flatMap((p) => p.servers.map((s) => [s.name, s.privateIp])));

describe("the address plan", () => {
  it("keeps every existing server's name and IP when a pool grows from 3 to 4", () => {
    const before = planAddresses({ networkCidr: "10.0.0.0/16", pools: [{ name: "standard", count: 3 }, { name: "burst", count: 2 }] });
    const after = planAddresses({ networkCidr: "10.0.0.0/16", pools: [{ name: "standard", count: 4 }, { name: "burst", count: 2 }] });
    const grown = ipsOf(after);
    for (const [name, ip] of Object.entries(ipsOf(before))) expect(grown[name]).toBe(ip);
    expect(Object.keys(grown)).toContain("ws-standard-4");
    expect(after.platform).toEqual(before.platform);
  });

  it("moves nothing when a pool is added, removed or the pools are reordered", () => {
    const one = planAddresses({ networkCidr: "10.0.0.0/16", pools: [{ name: "standard", count: 3 }] });
    const two = planAddresses({ networkCidr: "10.0.0.0/16", pools: [{ name: "alpha", count: 5 }, { name: "standard", count: 3 }] });
    expect(two.pools.standard).toEqual(one.pools.standard);
  });

  it("gives each pool its own /24 block inside the network, and the platform block 0", () => {
    const plan = planAddresses({ networkCidr: "10.20.0.0/16", pools: [{ name: "standard", count: 240 }, { name: "burst", count: 1 }] });
    const network = parseIpv4Cidr("10.20.0.0/16")!;
    expect(plan.platform).toMatchObject({ name: "platform", privateIp: "10.20.0.10", cidr: "10.20.0.0/24", block: 0 });
    const all = [plan.platform.privateIp, ...Object.values(ipsOf(plan))];
    expect(new Set(all).size).toBe(all.length);
    for (const ip of all) expect(ipv4ToInt(ip) - network.base).toBeLessThan(network.size);
    const standard = plan.pools.standard;
    expect(standard.cidr).toBe(`10.20.${standard.block}.0/24`);
    expect(standard.servers[0].privateIp).toBe(`10.20.${standard.block}.10`);
    expect(standard.servers[239].privateIp).toBe(`10.20.${standard.block}.249`);
  });

  it("derives a pool's block from its name alone, unless the block is set explicitly", () => {
    const plan = planAddresses({ networkCidr: "10.0.0.0/16", pools: [{ name: "standard", count: 1 }, { name: "gpu", count: 1, addressBlock: 7 }] });
    expect(plan.pools.standard.block).toBe(defaultAddressBlock("standard", 256));
    expect(plan.pools.gpu.cidr).toBe("10.0.7.0/24");
  });

  it("reports two pools in one block with a free block to use", () => {
    const clash = defaultAddressBlock("standard", 256);
    const problems = addressPlanProblems({ networkCidr: "10.0.0.0/16", pools: [{ name: "standard", count: 1 }, { name: "burst", count: 1, addressBlock: clash }] });
    expect(problems).toHaveLength(1);
    expect(problems[0].path).toBe("pools.burst.addressBlock");
    expect(problems[0].message).toMatch(/set pools\.burst\.addressBlock to a free block, e.g. \d+/);
    expect(() => planAddresses({ networkCidr: "10.0.0.0/16", pools: [{ name: "standard", count: 1 }, { name: "burst", count: 1, addressBlock: clash }] })).toThrow("already used by pool");
  });

  it("refuses pools larger than a block", () => {
    expect(addressPlanProblems({ networkCidr: "10.0.0.0/16", pools: [{ name: "big", count: 241 }] })[0].path).toBe("pools.big.count");
  });
});
