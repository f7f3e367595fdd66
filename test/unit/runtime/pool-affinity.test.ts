import { describe, expect, it } from "vitest";
import {
  expressionMatches,
  preferredAffinityScore,
  preferredAffinitySchema,
  requiredAffinityMatches,
  requiredAffinitySchema,
} from "../../../runtime/pool/affinity";

const labels = { zone: "west", tier: "standard", cores: "8", odd: "x7" };

describe("affinity operators (Kubernetes semantics)", () => {
  it("In matches when the label has one of the values, never when it is absent", () => {
    expect(expressionMatches({ key: "zone", operator: "In", values: ["east", "west"] }, labels)).toBe(true);
    expect(expressionMatches({ key: "zone", operator: "In", values: ["east"] }, labels)).toBe(false);
    expect(expressionMatches({ key: "gpu", operator: "In", values: ["a100"] }, labels)).toBe(false);
  });

  it("NotIn matches when the value differs and also when the label is absent", () => {
    expect(expressionMatches({ key: "tier", operator: "NotIn", values: ["burst"] }, labels)).toBe(true);
    expect(expressionMatches({ key: "tier", operator: "NotIn", values: ["standard"] }, labels)).toBe(false);
    expect(expressionMatches({ key: "gpu", operator: "NotIn", values: ["a100"] }, labels)).toBe(true);
  });

  it("Exists and DoesNotExist look at the key only", () => {
    expect(expressionMatches({ key: "zone", operator: "Exists" }, labels)).toBe(true);
    expect(expressionMatches({ key: "gpu", operator: "Exists" }, labels)).toBe(false);
    expect(expressionMatches({ key: "gpu", operator: "DoesNotExist" }, labels)).toBe(true);
    expect(expressionMatches({ key: "zone", operator: "DoesNotExist" }, labels)).toBe(false);
  });

  it("Gt and Lt compare integers and never match a missing or non-integer label", () => {
    expect(expressionMatches({ key: "cores", operator: "Gt", values: ["4"] }, labels)).toBe(true);
    expect(expressionMatches({ key: "cores", operator: "Gt", values: ["8"] }, labels)).toBe(false);
    expect(expressionMatches({ key: "cores", operator: "Lt", values: ["16"] }, labels)).toBe(true);
    expect(expressionMatches({ key: "cores", operator: "Lt", values: ["8"] }, labels)).toBe(false);
    expect(expressionMatches({ key: "odd", operator: "Gt", values: ["1"] }, labels)).toBe(false);
    expect(expressionMatches({ key: "gpu", operator: "Lt", values: ["1"] }, labels)).toBe(false);
    // "10" > "9" numerically although not as strings
    expect(expressionMatches({ key: "n", operator: "Gt", values: ["9"] }, { n: "10" })).toBe(true);
  });

  it("ANDs the expressions of a term and ORs the terms", () => {
    const westBurst = { matchExpressions: [{ key: "zone", operator: "In" as const, values: ["west"] }, { key: "tier", operator: "In" as const, values: ["burst"] }] };
    const bigHost = { matchExpressions: [{ key: "cores", operator: "Gt" as const, values: ["4"] }] };
    expect(requiredAffinityMatches(westBurst, labels)).toBe(false);
    expect(requiredAffinityMatches([westBurst, bigHost], labels)).toBe(true);
    expect(requiredAffinityMatches([westBurst], labels)).toBe(false);
    expect(requiredAffinityMatches(undefined, labels)).toBe(true);
  });

  it("adds the weights of matching preferred terms, capped", () => {
    const preferred = [
      { weight: 60, preference: { matchExpressions: [{ key: "zone", operator: "In" as const, values: ["west"] }] } },
      { weight: 70, preference: { matchExpressions: [{ key: "tier", operator: "Exists" as const }] } },
      { weight: 50, preference: { matchExpressions: [{ key: "gpu", operator: "Exists" as const }] } },
    ];
    expect(preferredAffinityScore(preferred, labels, 1_000)).toBe(130);
    expect(preferredAffinityScore(preferred, labels, 100)).toBe(100);
    expect(preferredAffinityScore(preferred, { zone: "east" }, 100)).toBe(0);
  });

  it("rejects malformed requests with a message that says what to write", () => {
    const bad = (value: unknown) => {
      const r = requiredAffinitySchema.safeParse(value);
      return r.success ? "" : r.error.issues.map((i) => i.message).join("; ");
    };
    expect(bad({ matchExpressions: [{ key: "zone", operator: "In" }] })).toMatch(/needs at least one value/);
    expect(bad({ matchExpressions: [{ key: "zone", operator: "Exists", values: ["a"] }] })).toMatch(/takes no 'values'/);
    expect(bad({ matchExpressions: [{ key: "cores", operator: "Gt", values: ["four"] }] })).toMatch(/exactly one integer/);
    expect(bad([])).toMatch(/omit 'affinity'/);
    expect(bad({ matchExpressions: [{ key: "zone", operator: "Near", values: ["x"] }] })).not.toBe("");
    expect(preferredAffinitySchema.safeParse([{ weight: 101, preference: { matchExpressions: [{ key: "a", operator: "Exists" }] } }]).success).toBe(false);
  });
});
