/**
 * Computed outputs of mocked resources, per provider. A provider adds a file exporting
 * `outputs: Record<typeToken, (args, n) => outputs>` and `calls` and registers it here (one line each).
 * A key `__id` in the returned outputs overrides the resource id (hcloud and DigitalOcean ids are numbers).
 */
import type { MockCallArgs, MockResourceArgs } from "@pulumi/pulumi/runtime";
import * as core from "./core";
import * as hetzner from "./hetzner";
import * as aws from "./aws";
import * as gcp from "./gcp";
import * as azure from "./azure";
import * as digitalocean from "./digitalocean";
import * as local from "./local";

export type OutputsFn = (args: MockResourceArgs, n: number) => Record<string, any>;
export type CallFn = (inputs: Record<string, any>) => Record<string, any>;

const tables: { outputs: Record<string, OutputsFn>; calls?: Record<string, CallFn> }[] = [core, hetzner, aws, gcp, azure, digitalocean, local];

export function computedOutputs(args: MockResourceArgs, n: number): Record<string, any> {
  for (const table of tables) {
    const fn = table.outputs[args.type];
    if (fn) return fn(args, n);
  }
  return {};
}

export const mockCalls: Record<string, (inputs: MockCallArgs["inputs"]) => Record<string, any>> = Object.assign(
  {},
  ...tables.map((t) => t.calls ?? {}),
);
