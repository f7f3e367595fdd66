/**
 * Test images, built locally because no image registry is reachable from these machines.
 * - `busybox`: Debian's busybox-static with its applets linked (sh, cat, uname, ...); a few MB, imports in < 1 s.
 * - `noshell`: a single static binary and no shell, to exercise the `docker exec` fallback.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const BUSYBOX_IMAGE = "sandfleet-test/busybox:latest";
export const NOSHELL_IMAGE = "sandfleet-test/noshell:latest";

const BUSYBOX_BIN = "/bin/busybox";

/** Whether an image exists on the daemon reached by `dockerHost` (e.g. `unix:///tmp/x/docker.sock`). */
export function hasImage(dockerHost: string, image: string): boolean {
  try {
    execFileSync("docker", ["-H", dockerHost, "image", "inspect", image], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Imports the busybox test image into the daemon at `dockerHost` (idempotent). */
export function ensureBusyboxImage(dockerHost: string): string {
  if (hasImage(dockerHost, BUSYBOX_IMAGE)) return BUSYBOX_IMAGE;
  if (!existsSync(BUSYBOX_BIN)) throw new Error(`${BUSYBOX_BIN} missing: apt-get install busybox-static`);
  const root = mkdtempSync(join(tmpdir(), "sf-busybox-"));
  try {
    for (const dir of ["bin", "tmp", "work", "etc", "proc", "sys", "dev"]) mkdirSync(join(root, dir));
    copyFileSync(BUSYBOX_BIN, join(root, "bin/busybox"));
    const applets = execFileSync(BUSYBOX_BIN, ["--list"], { encoding: "utf8" }).split("\n").filter(Boolean);
    for (const applet of applets) if (applet !== "busybox") symlinkSync("busybox", join(root, "bin", applet));
    importRootfs(dockerHost, root, BUSYBOX_IMAGE, ['CMD ["/bin/sh"]', "ENV PATH=/bin"]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return BUSYBOX_IMAGE;
}

/** Imports an image that has no shell: only busybox renamed, so `sh` cannot be found. */
export function ensureNoShellImage(dockerHost: string): string {
  if (hasImage(dockerHost, NOSHELL_IMAGE)) return NOSHELL_IMAGE;
  const root = mkdtempSync(join(tmpdir(), "sf-noshell-"));
  try {
    for (const dir of ["bin", "tmp", "work"]) mkdirSync(join(root, dir));
    copyFileSync(BUSYBOX_BIN, join(root, "bin/busybox"));
    importRootfs(dockerHost, root, NOSHELL_IMAGE, ['CMD ["/bin/busybox", "sleep", "infinity"]', "ENV PATH=/bin"]);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return NOSHELL_IMAGE;
}

function importRootfs(dockerHost: string, root: string, image: string, changes: string[]): void {
  const changeArgs = changes.flatMap((c) => ["--change", c]);
  execFileSync("bash", ["-c", `tar -C "$1" -c . | docker -H "$2" import ${changeArgs.map((c) => `'${c}'`).join(" ")} - "$3"`, "_", root, dockerHost, image], {
    stdio: ["ignore", "ignore", "pipe"],
  });
}
