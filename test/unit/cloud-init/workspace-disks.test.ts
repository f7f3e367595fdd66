/**
 * The workspace disk quota's host side (cloud-init/workspace-disks.ts): what a workspace host gets (the script and
 * its boot unit, enabled by the bootstrap), that the platform gets neither, that the runtime names the same paths,
 * and that the script passes shellcheck and refuses bad arguments before it touches anything. The script's real work
 * (loop devices, ext4, ENOSPC, a reboot) is exercised on the local fleet: test/e2e/workspaces-fleet.test.ts.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderCloudConfig } from "../../../cloud-init";
import { BOOTSTRAP_PATH } from "../../../cloud-init/bootstrap";
import {
  WORKSPACE_DISK_MOUNTS_DIR,
  WORKSPACE_DISK_SCRIPT_PATH,
  WORKSPACE_DISKS_UNIT,
  workspaceDiskScript,
} from "../../../cloud-init/workspace-disks";
import { HOST_DISK_MOUNTS_DIR, HOST_DISK_SCRIPT_PATH, quotaMiB } from "../../../runtime/workspace/host-disk";
import { hostConfig } from "../../support/cloud-init-fixtures";
import { parseUserData, renderedFile } from "../../support/cloud-init-files";

const scratch = mkdtempSync(join(tmpdir(), "sf-workspace-disks-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const scriptFile = join(scratch, "sandfleet-workspace-disk");
writeFileSync(scriptFile, workspaceDiskScript(), { mode: 0o755 });
const hasShellcheck = spawnSync("shellcheck", ["--version"]).status === 0;

describe("workspace disk quotas on the host", () => {
  const workspace = renderCloudConfig(hostConfig("workspace", "distro"));

  it("gives a workspace host the script and a boot unit ordered before dockerd, enabled by the bootstrap", () => {
    const script = renderedFile(workspace, WORKSPACE_DISK_SCRIPT_PATH);
    expect(script).toMatchObject({ permissions: "0755", owner: "root:root" });
    expect(script.content).toBe(workspaceDiskScript());
    const unit = renderedFile(workspace, `/etc/systemd/system/${WORKSPACE_DISKS_UNIT}`).content;
    expect(unit).toMatch(/^# Written by sandfleet \(cloud-init\/workspace-disks\.ts\)\./);
    expect(unit).toContain(`ExecStart=${WORKSPACE_DISK_SCRIPT_PATH} attach-all`);
    expect(unit).toMatch(/^Before=docker\.service$/m);
    expect(unit).toMatch(/^RequiresMountsFor=\/var\/lib\/docker /m);
    expect(unit).toMatch(/^Type=oneshot$/m);
    expect(unit).toMatch(/^WantedBy=multi-user\.target docker\.service$/m);
    expect(renderedFile(workspace, BOOTSTRAP_PATH).content).toContain(`systemctl enable --now ${WORKSPACE_DISKS_UNIT}`);
    expect(parseUserData(workspace).packages).toContain("e2fsprogs");
  });

  it("gives the platform neither (it runs no workspaces)", () => {
    const platform = renderCloudConfig(hostConfig("platform", "distro"));
    expect(() => renderedFile(platform, WORKSPACE_DISK_SCRIPT_PATH)).toThrow(/writes no/);
    expect(platform).not.toContain(WORKSPACE_DISKS_UNIT);
  });

  it("names the same script and mount directory as the runtime that calls it", () => {
    expect(HOST_DISK_SCRIPT_PATH).toBe(WORKSPACE_DISK_SCRIPT_PATH);
    expect(HOST_DISK_MOUNTS_DIR).toBe(WORKSPACE_DISK_MOUNTS_DIR);
    expect(quotaMiB(1)).toBe(1024);
  });

  it.skipIf(!hasShellcheck)("passes shellcheck as POSIX sh", () => {
    const result = spawnSync("shellcheck", ["--shell=sh", "--severity=style", scriptFile], { encoding: "utf8" });
    expect(result.stdout + result.stderr).toBe("");
    expect(result.status).toBe(0);
  });
  if (!hasShellcheck) console.warn("workspace-disks.test.ts: shellcheck is not installed; the script's lint is skipped (apt-get install shellcheck)");

  it("refuses ids that are not hex, sizes that are not whole MiB or too small, and unknown commands, before touching anything", () => {
    const run = (...args: string[]) => spawnSync("sh", [scriptFile, ...args], { encoding: "utf8" });
    expect(run("create", "../etc", "64")).toMatchObject({ status: 2, stderr: expect.stringContaining("invalid workspace id '../etc'") });
    expect(run("delete", "")).toMatchObject({ status: 2 });
    expect(run("create", "abc123", "1G")).toMatchObject({ status: 1, stderr: expect.stringContaining("size '1G' is not a whole number of MiB") });
    expect(run("create", "abc123", "8")).toMatchObject({ status: 1, stderr: expect.stringContaining("below the 16 MiB") });
    expect(run("resize", "abc123")).toMatchObject({ status: 1, stderr: expect.stringContaining("usage:") });
    expect(run("create", "abc123")).toMatchObject({ status: 1, stderr: expect.stringContaining("usage: create <id> <size-MiB>") });
  });

  it("keeps the workspace host's user-data inside Hetzner's 32 KiB", () => {
    for (const source of ["upstream", "distro"] as const) {
      expect(Buffer.byteLength(renderCloudConfig(hostConfig("workspace", source)))).toBeLessThan(32 * 1024);
    }
  });
});
