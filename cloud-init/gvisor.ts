/**
 * gVisor (runsc) as a Docker runtime. Both Debian's `runsc` and gVisor's apt repository install it at
 * /usr/bin/runsc, so the runtime entry does not depend on the package source.
 */
import type { WrittenFile } from "./fragment";
import type { DockerHostSettings } from "./types";

export const RUNSC_PATH = "/usr/bin/runsc";

/**
 * What dockerd runs as the `runsc` runtime: runsc, started without supplementary groups. containerd's shim runs
 * runsc as root with the supplementary group 0 (root), and runsc passes that list on to its gofer and sandbox
 * processes; under `userns-remap` those run as host UID/GID 165536 but keep host group 0. Two consequences, both
 * measured on Debian 13 (runsc 2024-07-29, docker.io 26.1.5): the gofer cannot reach a named volume, because
 * Docker creates `volumes/` and `volumes/<name>/` as root:root 0701 (a member of group root gets the group's
 * `---`, not the others' `--x`), so every container with a volume fails with "cannot read client sync file";
 * and a process that escaped gVisor would hold host group root. `setpriv --clear-groups` (util-linux, essential
 * in Debian) empties the list before runsc starts; runsc itself stays root for the steps that need it.
 */
export const RUNSC_WRAPPER_PATH = "/usr/local/sbin/sandfleet-runsc";

export function runscWrapperFile(): WrittenFile {
  return {
    path: RUNSC_WRAPPER_PATH,
    content: [
      "#!/bin/sh",
      "# Written by sandfleet (cloud-init): dockerd's runsc runtime. runsc without supplementary groups, so that",
      "# its gofer and sandbox never hold host group root (they need none; see cloud-init/gvisor.ts).",
      `exec /usr/bin/setpriv --clear-groups -- ${RUNSC_PATH} "$@"`,
      "",
    ].join("\n"),
    permissions: "0755",
  };
}

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
  return { path: RUNSC_WRAPPER_PATH, runtimeArgs: runscRuntimeArgs(settings) };
}
