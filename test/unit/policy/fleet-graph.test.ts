/**
 * The policy pack against the real thing: the whole stack program under mocks, for the shipped stack files
 * and for every provider of the conformance table, must pass every policy on every resource it registers.
 * A violation here is either a fleet bug or a false positive of the pack; both need fixing.
 */
import { describe, expect, it, vi } from "vitest";
import { sandfleetPolicies } from "../../../policy/policies";
import { resourceTypes } from "../../../policy/resource-types";
import { fleetCases, stackConfigOf } from "../conformance/fleet-cases";
import { runProgram, stackFileConfig } from "../stack/support/run-program";
import { violationsOf } from "./validate";

/** Every type token some policy inspects. */
const inspectedTypes = new Set<string>(Object.values(resourceTypes).flatMap((types) => Object.values(types)));

async function violationsOfProgram(stack: string, config: Record<string, unknown>): Promise<{ inspected: number; violations: string[] }> {
  vi.resetModules();
  const run = await runProgram(stack, config);
  const violations: string[] = [];
  for (const resource of run.mocks.resources) {
    for (const policy of sandfleetPolicies) {
      for (const v of await violationsOf(policy, resource.type, resource.inputs, resource.name)) violations.push(`[${policy.name}] ${v}`);
    }
  }
  return { inspected: run.mocks.resources.filter((r) => inspectedTypes.has(r.type)).length, violations };
}

const programs = [
  ...["dev", "prod"].map((stack) => ({ label: `Pulumi.${stack}.yaml`, stack, config: () => stackFileConfig(`Pulumi.${stack}.yaml`) })),
  ...fleetCases.map((c) => ({ label: `the ${c.label} conformance fleet`, stack: "conformance", config: () => stackConfigOf(c) })),
];

describe("the policy pack on the stack program's resource graph", () => {
  it.each(programs)("finds no violation in $label", async ({ stack, config }) => {
    const { inspected, violations } = await violationsOfProgram(stack, config());
    // Servers and firewalls at least: a pack that matched nothing would pass vacuously.
    expect(inspected).toBeGreaterThanOrEqual(4);
    expect(violations).toEqual([]);
  }, 120_000);
});
