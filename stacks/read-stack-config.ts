/**
 * Reads the engine's config for this stack and parses it once (stacks/config.ts). Soft problems become
 * warnings in `pulumi preview`; hard ones stop the program with every problem listed.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, StackConfigError, stackConfigWarnings, unreachableDeployProblem, type StackConfig } from "./config";

export function readStackConfig(): StackConfig {
  let config: StackConfig;
  try {
    config = parseStackConfig(pulumi.runtime.allConfig(), pulumi.getStack());
  } catch (err) {
    // RunError prints the message without a stack trace: the message already says what to fix.
    if (err instanceof StackConfigError) throw new pulumi.RunError(err.message);
    throw err;
  }
  for (const warning of stackConfigWarnings(config)) pulumi.log.warn(warning);
  // A preview dials nothing, so it only warns; an update stops before creating servers it could not finish.
  // The deploy workflow sets SANDFLEET_RUNNER_ENVIRONMENT (tests and laptops do not).
  const unreachable = unreachableDeployProblem(config, process.env.SANDFLEET_RUNNER_ENVIRONMENT);
  if (unreachable && pulumi.runtime.isDryRun()) pulumi.log.warn(unreachable);
  else if (unreachable) throw new pulumi.RunError(unreachable);
  return config;
}
