/**
 * The recording engine and the language-host launcher fail the way the real path fails: a type error stops
 * the program (type-checking is on), a provider function the engine cannot answer fails the run and is named,
 * and secrets arrive marked as secrets. Each case is a two-line program in a throwaway project.
 */
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { runOnLanguageHostPath } from "./support/language-host";
import { repoRoot, type StackFile } from "./support/stack-files";
import { isSecretValue } from "./support/wire-values";

const projects: string[] = [];
afterEach(() => {
  for (const dir of projects.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A Pulumi project with one TypeScript program, using this repository's node_modules. */
function project(program: string): string {
  const dir = mkdtempSync(join(tmpdir(), "sf-realpath-probe-"));
  projects.push(dir);
  writeFileSync(join(dir, "Pulumi.yaml"), "name: probe\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n");
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "probe", private: true }));
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { module: "commonjs", moduleResolution: "node", target: "ES2022", strict: true, skipLibCheck: true, types: [] } }));
  writeFileSync(join(dir, "index.ts"), program);
  symlinkSync(join(repoRoot, "node_modules"), join(dir, "node_modules"));
  return dir;
}

const stack: StackFile = { stack: "probe", source: "probe", config: { "probe:greeting": "hello" }, secrets: { "probe:token": "s3cret" } };

describe("the recording engine under cmd/run", () => {
  it("stops a program with a type error, as the CLI does with type-checking on", async () => {
    const root = project(`const n: number = "not a number";\nexport const out = n;\n`);
    const run = await runOnLanguageHostPath(stack, { root, dryRun: true });
    expect(run.exitCode).not.toBe(0);
    expect(run.engine.errors().join("\n")).toMatch(/TS2322/);
  });

  it("fails the run on a provider function it cannot answer, and names it", async () => {
    const root = project(`import * as pulumi from "@pulumi/pulumi";\nexport const out = pulumi.runtime.invoke("nowhere:index:getNothing", {});\n`);
    const run = await runOnLanguageHostPath(stack, { root, dryRun: false });
    expect(run.exitCode).not.toBe(0);
    expect(run.engine.unansweredCalls).toEqual(["nowhere:index:getNothing"]);
    expect(run.engine.errors().join("\n")).toContain("nowhere:index:getNothing");
  });

  it("hands config to the program as the CLI does and records secret config as secret outputs", async () => {
    const root = project(
      `import * as pulumi from "@pulumi/pulumi";\nconst config = new pulumi.Config();\n` +
        `export const greeting = config.require("greeting");\nexport const token = config.requireSecret("token");\n`,
    );
    const run = await runOnLanguageHostPath(stack, { root, dryRun: false });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.engine.stackOutputs.greeting).toBe("hello");
    expect(isSecretValue(run.engine.stackOutputs.token)).toBe(true);
    expect(run.engine.resources.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack"]);
  });
});
