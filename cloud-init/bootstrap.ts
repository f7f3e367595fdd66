/**
 * The bootstrap script: the fragments' steps in one bash file with `set -euo pipefail`, run once by
 * `runcmd`. One script instead of many runcmd lines because cloud-init runs runcmd lines in a plain shell
 * that goes on after a failing line; here a failing step fails the script, cloud-init reports an error and
 * the post-boot step refuses the host.
 */
import type { BootstrapStep, WrittenFile } from "./fragment";

export const BOOTSTRAP_PATH = "/usr/local/sbin/sandfleet-bootstrap";

export function bootstrapFile(steps: BootstrapStep[]): WrittenFile {
  const body = steps.map((step) =>
    [
      "",
      `# --- ${step.name}: ${step.why}`,
      `echo "sandfleet-bootstrap: ${step.name}"`,
      "(",
      step.script.trimEnd(),
      ")",
    ].join("\n"),
  );
  const content = [
    "#!/usr/bin/env bash",
    "# Written by sandfleet (cloud-init) and run once by runcmd. Every step is idempotent: re-run this script",
    "# by hand to repair a host.",
    "set -euo pipefail",
    ...body,
    "",
    'echo "sandfleet-bootstrap: done"',
    "",
  ].join("\n");
  return { path: BOOTSTRAP_PATH, content, permissions: "0700" };
}
