/**
 * gVisor (runsc) as a Docker runtime. Both Debian's `runsc` and gVisor's apt repository install it at
 * /usr/bin/runsc, so the runtime entry does not depend on the package source.
 */
import type { DockerHostSettings } from "./types";

export const RUNSC_PATH = "/usr/bin/runsc";

/** gVisor's apt repository ("release" channel). Its key is fetched over HTTPS (see engine-install.ts). */
export const GVISOR_APT = {
  keyUrl: "https://gvisor.dev/archive.key",
  keyring: "/etc/apt/keyrings/gvisor.asc",
  /** gVisor does not publish a fingerprint we could pin here; the key's authenticity rests on HTTPS. */
  keyFingerprint: "",
  repository: "https://storage.googleapis.com/gvisor/releases",
  suite: "release",
  component: "main",
  packages: ["runsc"],
} as const;

/**
 * Debian's package, used with packageSource "distro". Debian 13's (0.0~20240729) has systrap; it has no
 * `features` subcommand, which dockerd 26 queries at start: dockerd logs a warning ("Failed to run [... runsc
 * features]") and carries on, harmless (measured 2026-12-01 on the local test hosts).
 */
export const GVISOR_DISTRO_PACKAGES = ["runsc"];

/**
 * runsc's arguments in daemon.json. `--oci-seccomp` makes runsc apply the container's seccomp profile
 * inside the sandbox (without it Docker's default profile is silently ignored under gVisor).
 */
export function runscRuntimeArgs(settings: DockerHostSettings): string[] {
  return [`--platform=${settings.gvisorPlatform}`, "--oci-seccomp", `--network=${settings.gvisorNetwork}`];
}

export function runscRuntime(settings: DockerHostSettings): { path: string; runtimeArgs: string[] } {
  return { path: RUNSC_PATH, runtimeArgs: runscRuntimeArgs(settings) };
}
