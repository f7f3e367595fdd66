/**
 * Spot pools (issue 10, finding: spot pools lose capacity silently). An interrupted spot server is deleted by
 * its cloud (AWS one-time requests that terminate, GCP instanceTerminationAction DELETE: see
 * test/unit/providers/aws.test.ts and gcp.test.ts). Pulumi only notices a deleted resource when it refreshes,
 * and a plain `pulumi up` trusts its state: the project therefore refreshes on every update, preview and
 * destroy, so the next `pulumi up` recreates the interrupted servers without anyone remembering `--refresh`.
 *
 * Checked 2026-12-01: the project file's `options.refresh: always` is "always run a refresh as part of a
 * pulumi update / preview / destroy" (pulumi.com/docs/iac/concepts/projects/project-file, and the Automation
 * API's ProjectOptions.refresh).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";

const projectFile = parse(readFileSync(join(__dirname, "../../../Pulumi.yaml"), "utf8")) as { options?: { refresh?: string } };

describe("an interrupted spot server", () => {
  it("is noticed by the next plain `pulumi up`: the project refreshes before every update", () => {
    expect(projectFile.options?.refresh).toBe("always");
  });
});
