/**
 * Reads the engine's config for this stack and parses it once (stacks/config.ts). Soft problems become
 * warnings in `pulumi preview`; hard ones stop the program with every problem listed.
 */
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, StackConfigError, stackConfigWarnings, type StackConfig } from "./config";

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
  return config;
}
