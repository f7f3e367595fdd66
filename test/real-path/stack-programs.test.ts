/**
 * Every stack file a user runs, started the way `pulumi preview` and `pulumi up` start it: the SDK's
 * cmd/run in stacks/, config in PULUMI_CONFIG, TypeScript compiled by the SDK's ts-node with type-checking,
 * talking gRPC to a recording engine (test/real-path/support/recording-engine.ts; not the Pulumi CLI).
 * The graph it registers must be the one the mock tier sees for the same stack file.
 *
 * One ts-node compile cache serves the whole file: the first program compiles cold, later ones compile only
 * the files they add (their provider folders). A file's type errors do not depend on which stack loads it,
 * so every file is still type-checked once under the CLI's options; `npm run bench:plan` measures each
 * stack cold.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { installPulumiMocks } from "../support/pulumi-mocks";
import { settled } from "../unit/stack/support/run-program";
import { runOnLanguageHostPath, type LanguageHostRun } from "./support/language-host";
import { graphOfMocks, graphOfRecordingEngine, type GraphNode } from "./support/resource-graph";
import { allStackFiles, type StackFile } from "./support/stack-files";
import { isSecretValue } from "./support/wire-values";

interface MockRun {
  graph: GraphNode[];
  secretOutputs: string[];
}

/** The mock tier's view of a stack file: the program imported under `setMocks` with the same config. */
async function runUnderMocks(file: StackFile): Promise<MockRun> {
  vi.resetModules();
  const mocks = installPulumiMocks({ stack: file.stack, config: { ...file.config, ...file.secrets }, secretKeys: Object.keys(file.secrets) });
  const program = (await import("../../stacks/index")) as Record<string, unknown>;
  const secretOutputs: string[] = [];
  for (const [name, value] of Object.entries(program)) {
    if (pulumi.Output.isInstance(value) && (await pulumi.isSecret(value))) secretOutputs.push(name);
  }
  await settled(mocks);
  return { graph: graphOfMocks(mocks), secretOutputs: secretOutputs.sort() };
}

function secretStackOutputs(run: LanguageHostRun): string[] {
  return Object.entries(run.engine.stackOutputs)
    .filter(([, value]) => isSecretValue(value))
    .map(([name]) => name)
    .sort();
}

/** What a failed run said, for the assertion message. */
function explain(run: LanguageHostRun): string {
  return [`exit ${run.exitCode}`, ...run.engine.errors(), run.stderr.slice(-4000)].join("\n");
}

let compileCache: string;
beforeAll(() => {
  compileCache = mkdtempSync(join(tmpdir(), "sf-realpath-cache-"));
});
afterAll(() => {
  rmSync(compileCache, { recursive: true, force: true });
});

describe.each(allStackFiles().map((file) => [file.stack, file.source, file] as const))(
  "the %s stack (%s) under the Node language host's cmd/run",
  (_stack, _source, file) => {
    let mock: MockRun;
    let preview: LanguageHostRun;
    let up: LanguageHostRun;

    beforeAll(async () => {
      // The subprocess compiles while the mock tier runs here: two cores, two jobs.
      [preview, mock] = await Promise.all([runOnLanguageHostPath(file, { dryRun: true, compileCache }), runUnderMocks(file)]);
      up = await runOnLanguageHostPath(file, { dryRun: false, compileCache });
    });

    it("previews: compiles with type-checking, exits 0, logs no error and asks for no unknown provider function", () => {
      expect(preview.exitCode, explain(preview)).toBe(0);
      expect(preview.engine.errors()).toEqual([]);
      expect(preview.engine.unansweredCalls).toEqual([]);
    });

    it("registers in preview the resources, parents and secret inputs the mock tier registers", () => {
      expect(graphOfRecordingEngine(preview.engine)).toEqual(mock.graph);
    });

    it("deploys (up): exits 0 and registers the same graph", () => {
      expect(up.exitCode, explain(up)).toBe(0);
      expect(up.engine.errors()).toEqual([]);
      expect(graphOfRecordingEngine(up.engine)).toEqual(mock.graph);
    });

    it("exports the endpoint registry and the deploy key as secrets, as the mock tier does", () => {
      expect(secretStackOutputs(up)).toEqual(expect.arrayContaining(["deployPrivateKey", "endpointRegistry"]));
      expect(secretStackOutputs(up)).toEqual(mock.secretOutputs);
      expect(secretStackOutputs(preview)).toEqual(mock.secretOutputs);
    });
  },
);

describe("a stack program with PULUMI_NODEJS_TRANSPILE_ONLY=true (no type-check, as users set it for speed)", () => {
  it("loads too: the providers' import() of a directory compiles to require, never a native ESM import", async () => {
    const file = allStackFiles().find((f) => f.stack === "dev")!;
    const run = await runOnLanguageHostPath(file, { dryRun: true, transpileOnly: true });
    expect(run.exitCode, explain(run)).toBe(0);
    expect(run.engine.errors()).toEqual([]);
    expect(run.engine.resources.length).toBeGreaterThan(1);
  });
});
