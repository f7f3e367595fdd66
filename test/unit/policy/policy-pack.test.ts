import { describe, expect, it } from "vitest";
import { sandfleetPolicies } from "../../../policy/policies";

describe("the sandfleet policy pack", () => {
  it("makes every policy mandatory, so a violation fails the preview", () => {
    expect(sandfleetPolicies.length).toBeGreaterThanOrEqual(6);
    for (const policy of sandfleetPolicies) expect(policy.enforcementLevel, policy.name).toBe("mandatory");
  });

  it("gives every policy a unique, engine-acceptable name and a remediation", () => {
    const names = sandfleetPolicies.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    for (const policy of sandfleetPolicies) {
      expect(policy.name).toMatch(/^[a-z0-9-]+$/);
      expect(policy.name).not.toBe("all");
      expect(policy.remediationSteps, policy.name).toBeTruthy();
    }
  });
});
