/**
 * The service bundle the stack ships (components/service/service-bundle.ts): built from this checkout, the same
 * bytes for the same sources (its digest is the deploy's trigger), and a working program on its own, without the
 * checkout's node_modules, with plain `node` as the platform runs it.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { buildServiceBundle } from "../../../components/service/service-bundle";

// node:sqlite (the service's database) is built into Node 22.5+; the unit tier also runs on Node 20.
const [major, minor] = process.versions.node.split(".").map(Number);
const hasNodeSqlite = major > 22 || (major === 22 && minor >= 5);

describe("the service bundle", () => {
  const dir = mkdtempSync(join(tmpdir(), "sf-service-bundle-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const first = buildServiceBundle({ outDir: join(dir, "a") });

  it("is reproducible: the same sources give the same digest", () => {
    const second = buildServiceBundle({ outDir: join(dir, "b") });
    expect(second.digest).toBe(first.digest);
    expect(first.path.endsWith(`${first.digest}.tgz`)).toBe(true);
    expect(first.bytes).toBeLessThan(4 * 2 ** 20);
  });

  it.skipIf(!hasNodeSqlite)("starts with plain node outside the checkout and refuses a missing config by name", () => {
    // The tarball holds one file: the bundle; unpack it by hand (a ustar header, then the content).
    const tar = gunzipSync(readFileSync(first.path));
    const size = parseInt(tar.subarray(124, 136).toString("ascii").replace(/\0.*$/, ""), 8);
    const app = join(dir, "app");
    mkdirSync(app);
    writeFileSync(join(app, "sandfleet-service.cjs"), tar.subarray(512, 512 + size));
    const help = spawnSync(process.execPath, [join(app, "sandfleet-service.cjs"), "--help"], { cwd: app, encoding: "utf8" });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toContain("sandfleet-service --config FILE");
    const missing = spawnSync(process.execPath, [join(app, "sandfleet-service.cjs"), "--config", join(app, "nope.json")], { cwd: app, encoding: "utf8" });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toContain("cannot read the service config");
  });
});
