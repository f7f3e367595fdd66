/**
 * Runs the stack program (stacks/index.ts) under Pulumi mocks with a stack file's config, and waits
 * until every resource is registered. Call `vi.resetModules()` before each run in one test file.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { installPulumiMocks, valueOf, type MockRecorder } from "../../../support/pulumi-mocks";
import type { EndpointRegistry } from "../../../../runtime/registry/schema";

export const repoRoot = join(__dirname, "..", "..", "..", "..");

/** The `config:` map of a stack file (e.g. `Pulumi.dev.yaml`). */
export function stackFileConfig(file: string): Record<string, unknown> {
  return (parse(readFileSync(join(repoRoot, file), "utf8")) as { config: Record<string, unknown> }).config;
}

export interface ProgramRun {
  mocks: MockRecorder;
  program: typeof import("../../../../stacks/index");
  registry: EndpointRegistry;
  outputs: Record<string, unknown>;
}

/** Resolves once no resource has been registered for a few turns of the event loop. */
export async function settled(mocks: MockRecorder): Promise<void> {
  let last = -1;
  let quiet = 0;
  while (quiet < 5) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (mocks.resources.length === last) quiet++;
    else {
      quiet = 0;
      last = mocks.resources.length;
    }
  }
}

export async function runProgram(stack: string, config: Record<string, unknown>): Promise<ProgramRun> {
  const mocks = installPulumiMocks({ stack, config: { "hcloud:token": "mock-token", ...config } });
  const program = await import("../../../../stacks/index");
  const registry = await valueOf(program.endpointRegistry);
  const outputs: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(program)) outputs[key] = await valueOf(value as never);
  await settled(mocks);
  return { mocks, program, registry, outputs };
}
