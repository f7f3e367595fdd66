import { describe, expect, it } from "vitest";
import { EndpointView, placeSandbox, PlacementPolicy, rejectionReason, scoreEndpoints } from "../../../runtime/pool/placement";

const view = (id: string, over: Partial<EndpointView> = {}): EndpointView => ({
  id,
  labels: { id },
  weight: 1,
  maxContainers: 10,
  state: "ready",
  circuitOpen: false,
  idle: 0,
  leased: 0,
  creating: 0,
  ...over,
});
const policy = (over: Partial<PlacementPolicy> = {}): PlacementPolicy => ({
  strategy: "spread",
  maxTotal: Infinity,
  total: 0,
  maxConcurrentCreatesPerEndpoint: 2,
  powerOfK: 2,
  random: () => 0,
  ...over,
});
/** A deterministic sequence of "random" numbers. */
const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length]!;
};

describe("placement filter", () => {
  it("gives no new work to unresponsive, draining or backing-off endpoints", () => {
    expect(rejectionReason(view("a", { state: "unresponsive" }), {}, policy())).toBe("unresponsive");
    expect(rejectionReason(view("a", { state: "draining" }), {}, policy())).toBe("draining");
    expect(rejectionReason(view("a", { circuitOpen: true }), {}, policy())).toBe("backing-off");
    expect(rejectionReason(view("a"), {}, policy())).toBeUndefined();
  });

  it("counts idle + leased + creating against maxContainers, and the whole pool against maxTotal", () => {
    expect(rejectionReason(view("a", { idle: 4, leased: 4, creating: 2 }), {}, policy({ maxConcurrentCreatesPerEndpoint: 5 }))).toBe("full");
    expect(rejectionReason(view("a", { idle: 4, leased: 4, creating: 1 }), {}, policy())).toBeUndefined();
    expect(rejectionReason(view("a"), {}, policy({ maxTotal: 5, total: 5 }))).toBe("max-total");
  });

  it("limits concurrent creates per endpoint", () => {
    expect(rejectionReason(view("a", { creating: 2 }), {}, policy({ maxConcurrentCreatesPerEndpoint: 2 }))).toBe("create-limit");
  });

  it("applies required affinity to the endpoint labels", () => {
    const affinity = { matchExpressions: [{ key: "id", operator: "In" as const, values: ["b"] }] };
    const d = placeSandbox([view("a"), view("b")], { affinity }, policy());
    expect(d.endpointId).toBe("b");
    expect(d.rejected).toEqual({ a: "affinity" });
  });

  it("chooses nothing, and says why, when every endpoint is filtered out", () => {
    const d = placeSandbox([view("a", { state: "unresponsive" }), view("b", { leased: 10 })], {}, policy());
    expect(d.endpointId).toBeUndefined();
    expect(d.rejected).toEqual({ a: "unresponsive", b: "full" });
  });
});

describe("placement strategies", () => {
  const busy = [view("empty"), view("half", { leased: 5 }), view("almost", { leased: 9 })];

  it("spread prefers the emptiest endpoint", () => {
    expect(placeSandbox(busy, {}, policy({ strategy: "spread", powerOfK: 3 })).endpointId).toBe("empty");
  });

  it("binpack prefers the fullest endpoint that still has room", () => {
    expect(placeSandbox(busy, {}, policy({ strategy: "binpack", powerOfK: 3 })).endpointId).toBe("almost");
  });

  it("weighted spreads load in proportion to weight", () => {
    const counts: Record<string, number> = { heavy: 0, light: 0 };
    const endpoints = [view("heavy", { weight: 3, maxContainers: 100 }), view("light", { weight: 1, maxContainers: 100 })];
    for (let i = 0; i < 40; i++) {
      const views = endpoints.map((e) => ({ ...e, leased: counts[e.id]! }));
      const d = placeSandbox(views, {}, policy({ strategy: "weighted", powerOfK: 2, nearEqualPoints: 0 }));
      counts[d.endpointId!]! += 1;
    }
    expect(counts).toEqual({ heavy: 30, light: 10 });
  });

  it("adds preferred-affinity weight on top of the strategy score", () => {
    const preferred = [{ weight: 80, preference: { matchExpressions: [{ key: "id", operator: "In" as const, values: ["half"] }] } }];
    const { candidates } = scoreEndpoints(busy, { preferred }, policy());
    expect(candidates[0]).toEqual({ id: "half", score: 50 + 80 });
  });
});

describe("power-of-K among near-equal candidates", () => {
  const equal = [view("a"), view("b"), view("c"), view("d")];

  it("picks different endpoints for different random draws when scores are equal", () => {
    const chosen = new Set<string>();
    for (const r of [0, 0.26, 0.51, 0.76]) chosen.add(placeSandbox(equal, {}, policy({ powerOfK: 1, random: () => r })).endpointId!);
    expect(chosen).toEqual(new Set(["a", "b", "c", "d"]));
  });

  it("never picks a candidate further than nearEqualPoints from the best", () => {
    const endpoints = [view("best"), view("close", { leased: 0, idle: 0, maxContainers: 100, creating: 3 }), view("far", { leased: 5 })];
    for (const r of [0, 0.3, 0.6, 0.99]) {
      const d = placeSandbox(endpoints, {}, policy({ nearEqualPoints: 5, powerOfK: 1, random: () => r }));
      expect(["best", "close"]).toContain(d.endpointId);
    }
  });

  it("takes the better of the K sampled candidates", () => {
    // scores 100, 98, 96 are near-equal (within 5); the draws sample "c" and "a" -> the better one, "a"
    const endpoints = [view("a", { maxContainers: 100 }), view("b", { maxContainers: 100, leased: 2 }), view("c", { maxContainers: 100, leased: 4 })];
    const d = placeSandbox(endpoints, {}, policy({ powerOfK: 2, random: sequence(0.99, 0.5) }));
    expect(d.endpointId).toBe("a");
    // and "c" with "b" -> "b": never the worst of the sample
    expect(placeSandbox(endpoints, {}, policy({ powerOfK: 2, random: sequence(0.99, 0.0) })).endpointId).toBe("b");
  });
});
