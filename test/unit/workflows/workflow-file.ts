/**
 * Reads a GitHub Actions workflow from .github/workflows/ as plain data for the workflow tests
 * (not a test file itself). YAML 1.2 keeps the `on:` key a string (YAML 1.1 would read it as `true`).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";

export interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}

export interface Job {
  name?: string;
  if?: string;
  needs?: string | string[];
  "runs-on": string;
  permissions?: Record<string, string> | string;
  environment?: string | { name: string; url?: string };
  concurrency?: { group: string; "cancel-in-progress"?: boolean } | string;
  container?: { image: string; options?: string };
  env?: Record<string, string>;
  steps: Step[];
}

export interface Workflow {
  name: string;
  on: Record<string, any>;
  permissions?: Record<string, string> | string;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  jobs: Record<string, Job>;
  /** The file's text, for checks on expressions. */
  text: string;
}

export const workflowsDir = join(__dirname, "..", "..", "..", ".github", "workflows");

export function readWorkflow(file: string): Workflow {
  const text = readFileSync(join(workflowsDir, file), "utf8");
  const data = parse(text);
  return { ...data, text };
}

export function allSteps(workflow: Workflow): (Step & { job: string })[] {
  return Object.entries(workflow.jobs).flatMap(([job, j]) => j.steps.map((step) => ({ ...step, job })));
}

export function pulumiSteps(workflow: Workflow): (Step & { job: string })[] {
  return allSteps(workflow).filter((step) => step.uses?.startsWith("pulumi/actions@"));
}
