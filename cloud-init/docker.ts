/**
 * Docker: the hardened daemon.json and the systemd drop-in that owns dockerd's command line.
 *
 * Listeners are never declared in daemon.json: the packaged units start `dockerd -H fd://`, and a `hosts`
 * key next to a `-H` flag makes dockerd refuse to start. cloud-init leaves dockerd on its unix socket
 * only; the post-boot step (post-boot/install-docker-tls.sh) adds the mTLS listener with a second drop-in
 * once the key material has arrived over SSH.
 */
import type { CloudConfigFragment } from "./fragment";
import { runscRuntime } from "./gvisor";
import { DEFAULT_SANDBOX_DNS } from "./sandbox-dns";
import type { DockerHostSettings, HostCloudConfig, HostRole } from "./types";

/** Docker's package (docker-ce) installs /usr/bin/dockerd; Debian's docker.io installs /usr/sbin/dockerd. */
export function dockerdPath(source: DockerHostSettings["packageSource"]): string {
  return source === "upstream" ? "/usr/bin/dockerd" : "/usr/sbin/dockerd";
}

export const DOCKER_DROP_IN_DIR = "/etc/systemd/system/docker.service.d";
/** Written by cloud-init: base command line, ordering. */
export const DOCKER_BASE_DROP_IN = `${DOCKER_DROP_IN_DIR}/10-sandfleet.conf`;
/** Written by the post-boot step: the same command line plus the mTLS listener. Sorts after the base. */
export const DOCKER_TLS_DROP_IN = `${DOCKER_DROP_IN_DIR}/20-sandfleet-tls.conf`;
/** Both packages' units pass this; containerd runs as its own service with either package. */
export const CONTAINERD_SOCKET = "/run/containerd/containerd.sock";

/** The daemon.json of a host of `role`. No `hosts` key (see the file comment). */
export function daemonJson(role: HostRole, settings: DockerHostSettings): Record<string, unknown> {
  return {
    // Workspace servers run every container under gVisor unless a caller explicitly asks for runc;
    // the platform keeps runc for the user's own services but can start sandboxes too.
    ...(role === "workspace" ? { "default-runtime": "runsc" } : {}),
    runtimes: { runsc: runscRuntime(settings) },
    // Restarting dockerd (post-boot TLS step, cert rotation, package upgrades) keeps containers running.
    "live-restore": true,
    // setuid binaries in images cannot gain privileges.
    "no-new-privileges": true,
    // Containers on the default bridge cannot talk to each other.
    icc: false,
    // Published ports go through iptables (and DOCKER-USER) instead of a userland proxy that hides the source.
    "userland-proxy": false,
    // Public resolvers for containers: the host's own (AWS's VPC resolver, GCP's metadata server) are in
    // ranges DOCKER-USER rejects, which would leave sandboxes without DNS (sandbox-dns.ts).
    dns: [...(settings.sandboxDns ?? DEFAULT_SANDBOX_DNS)],
    // Bounded logs: a chatty sandbox must not fill the disk.
    "log-driver": "local",
    "log-opts": { "max-size": "10m", "max-file": "3" },
    // Open files per container. No nproc default: RLIMIT_NPROC counts per host UID across all runc
    // containers; the pool limits processes per sandbox with pidsLimit instead.
    "default-ulimits": { nofile: { Name: "nofile", Soft: 65536, Hard: 65536 } },
  };
}

/** The ExecStart of the base drop-in, also the prefix of the post-boot step's ExecStart. */
export function dockerdBaseCommand(source: DockerHostSettings["packageSource"]): string {
  return `${dockerdPath(source)} -H fd:// --containerd=${CONTAINERD_SOCKET}`;
}

export function dockerFragment(config: HostCloudConfig): CloudConfigFragment {
  const mountsFor = config.volume?.mountPoint === "/var/lib/docker" ? ["RequiresMountsFor=/var/lib/docker"] : [];
  const dropIn = [
    "# Written by sandfleet (cloud-init). Owns dockerd's command line so that:",
    "# - listeners are flags, never `hosts` in daemon.json (a `hosts` key conflicts with -H fd://);",
    "# - /etc/default/docker (DOCKER_OPTS) cannot add listeners behind our back;",
    "# - the data volume is mounted before dockerd writes to /var/lib/docker.",
    "# The post-boot step adds the mutual-TLS listener in 20-sandfleet-tls.conf.",
    "[Unit]",
    "After=sandfleet-firewall.service",
    ...mountsFor,
    "",
    "[Service]",
    "ExecStart=",
    `ExecStart=${dockerdBaseCommand(config.docker.packageSource)}`,
    "",
  ].join("\n");
  return {
    files: [
      { path: "/etc/docker/daemon.json", content: `${JSON.stringify(daemonJson(config.role, config.docker), null, 2)}\n`, permissions: "0644" },
      { path: DOCKER_BASE_DROP_IN, content: dropIn, permissions: "0644" },
    ],
  };
}
