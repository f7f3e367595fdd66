/**
 * The sandbox image on each workspace host's engine. Real servers pull their images (cloud-init
 * `prePullImages`); test hosts have no registry to pull from, so a tiny busybox image is built inside the
 * host from its own `busybox-static` and imported into its engine (the pool never pulls on the hot path).
 * Under gVisor, `uname -r` in it prints gVisor's kernel version (4.4.0).
 */
import type Docker from "dockerode";
import { execInContainer } from "./container-exec";
import type { BootedHost } from "./hosts";

export const LOCAL_SANDBOX_IMAGE = "sandfleet-local/busybox:latest";

const SIDELOAD_SCRIPT = `set -eu
img="$1"
if docker image inspect "$img" >/dev/null 2>&1; then echo present; exit 0; fi
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/bin" "$root/tmp" "$root/work" "$root/etc" "$root/proc" "$root/sys" "$root/dev"
cp /bin/busybox "$root/bin/busybox"
for applet in $(/bin/busybox --list); do [ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"; done
printf 'root:x:0:0:root:/root:/bin/sh\\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\\n' > "$root/etc/passwd"
printf 'root:x:0:\\nnogroup:x:65534:\\n' > "$root/etc/group"
tar -C "$root" -c . | docker import --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' - "$img" >/dev/null
echo imported
`;

/** Imports {@link LOCAL_SANDBOX_IMAGE} into the host's own engine (idempotent). */
export async function sideloadSandboxImage(docker: Docker, host: BootedHost, image = LOCAL_SANDBOX_IMAGE): Promise<void> {
  const result = await execInContainer(docker.getContainer(host.containerId), ["sh", "-c", SIDELOAD_SCRIPT, "sideload", image], {
    timeoutMs: 120_000,
  });
  if (result.exitCode !== 0) {
    throw new Error(`${host.name}: importing the sandbox image failed (exit ${result.exitCode}): ${(result.stderr || result.stdout).trim()}`);
  }
}
