/**
 * `cloud-init schema` (Debian's cloud-init) on rendered user-data. Exit status without `--annotate`
 * (cloud-init 22.4 exits 0 with `--annotate` even when it reports errors); the annotated output is the
 * report shown when a document is invalid.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface SchemaResult {
  valid: boolean;
  report: string;
}

export function cloudInitSchema(userData: string): SchemaResult {
  const dir = mkdtempSync(join(tmpdir(), "sf-cloud-init-schema-"));
  try {
    const file = join(dir, "user-data");
    writeFileSync(file, userData);
    const run = (args: string[]) => spawnSync("cloud-init", ["schema", "--config-file", file, ...args], { encoding: "utf8" });
    const plain = run([]);
    if (plain.error) throw new Error(`cloud-init is not installed (apt-get install cloud-init): ${plain.error.message}`);
    const valid = plain.status === 0 && `${plain.stdout}`.includes("Valid cloud-config");
    const report = valid ? plain.stdout : `${run(["--annotate"]).stdout}\n${plain.stderr}`;
    return { valid, report };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
