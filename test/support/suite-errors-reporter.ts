/**
 * A vitest reporter for CI's summary: vitest's JSON report keeps only test-level errors and a file's own, so a
 * failed `beforeAll`/`afterAll` of a describe block shows there as a file that "did not load" with no message.
 * This writes one line per failed suite or file (and per unhandled error) to $SANDFLEET_SUITE_ERRORS, which
 * .ci/run prints in its summary, the part of the log a truncated CI log keeps.
 */
import { appendFileSync } from "node:fs";
import { relative } from "node:path";
import type { Reporter, RunnerTask, RunnerTestFile } from "vitest/node";

function firstLine(text: unknown): string {
  return String(text ?? "").split("\n")[0].slice(0, 400);
}

export default class SuiteErrorsReporter implements Reporter {
  onFinished(files: RunnerTestFile[] = [], errors: unknown[] = []): void {
    const out = process.env.SANDFLEET_SUITE_ERRORS;
    if (!out) return;
    const lines: string[] = [];
    // labels: the file, then the describe blocks down to this suite.
    const visit = (task: RunnerTask, labels: string[]) => {
      if (task.type !== "suite") return;
      for (const error of task.result?.errors ?? []) lines.push(`${labels.join(" > ")}: ${firstLine(error.message || error.stack || error.name)}`);
      for (const child of task.tasks) visit(child, [...labels, child.name]);
    };
    for (const file of files) visit(file, [relative(process.cwd(), file.filepath)]);
    for (const error of errors) lines.push(`unhandled: ${firstLine((error as Error)?.message ?? error)}`);
    if (lines.length) appendFileSync(out, lines.join("\n") + "\n");
  }
}
