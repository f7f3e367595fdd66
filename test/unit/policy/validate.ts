/**
 * Calls a policy's `validateResource` the way the Pulumi engine would, without the engine, and collects
 * the violations it reports. Shared by the policy tests (not a test file itself).
 */
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";

export async function violationsOf(
  policy: ResourceValidationPolicy,
  type: string,
  props: Record<string, any>,
  name = "fixture",
): Promise<string[]> {
  const violations: string[] = [];
  const args: ResourceValidationArgs = {
    type,
    props,
    name,
    urn: `urn:pulumi:test::sandfleet::${type}::${name}`,
    opts: { protect: false, ignoreChanges: [], aliases: [], additionalSecretOutputs: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 } },
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => ({}) as T,
    notApplicable: (reason?: string): never => {
      throw new Error(`policy marked itself not applicable: ${reason}`);
    },
  };
  const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource!];
  for (const validate of validations) await validate(args, (message) => violations.push(message));
  return violations;
}
