/**
 * Docker: the hardened daemon.json and the systemd drop-in that owns dockerd's command line.
 *
 * Listeners are never declared in daemon.json: the packaged units start `dockerd -H fd://`, and a `hosts`
 * key next to a `-H` flag makes dockerd refuse to start. cloud-init leaves dockerd on its unix socket
 * only; the post-boot step (post-boot/install-docker-tls.sh) adds the mTLS listener with a second drop-in
 * once the key material has arrived over SSH.
 */
import type { BootstrapStep, CloudConfigFragment } from "./fragment";
import { runscRuntime, runscWrapperFile } from "./gvisor";
import { DEFAULT_SANDBOX_DNS } from "./sandbox-dns";
import type { DockerHostSettings, HostCloudConfig, HostRole } from "./types";
import { renderUnit } from "./systemd-unit";

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
export const DAEMON_JSON_PATH = "/etc/docker/daemon.json";

/**
 * Open files per container (soft = hard): enough for servers and language tooling, bounded so that one
 * sandbox cannot hold an unbounded share of the kernel's file table. An upper bound: the host may grant less
 * (see {@link containerLimitsStep}).
 */
export const CONTAINER_NOFILE = 65536;

/** The daemon.json of a host of `role`. No `hosts` key (see the file comment). */
export function daemonJson(role: HostRole, settings: DockerHostSettings): Record<string, unknown> {
  return {
    // Workspace servers run every container under gVisor unless a caller explicitly asks for runc;
    // the platform keeps runc for the user's own services but can start sandboxes too.
    ...(role === "workspace" ? { "default-runtime": "runsc" } : {}),
    // Workspace servers map container root to an unprivileged host UID range (dockremap, from /etc/subuid):
    // runsc's sandbox and gofer processes then run as UID 165536 on the host instead of root, so an escape
    // from gVisor's kernel lands unprivileged; runc sandboxes are remapped too. Measured with Debian 13's
    // runsc (docs/security.md). Not on the platform: the user's own services may need host UIDs or --privileged.
    ...(role === "workspace" ? { "userns-remap": "default" } : {}),
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
    // Open files per container, lowered at boot where the host grants less (containerLimitsStep). No nproc
    // default: RLIMIT_NPROC counts per host UID across all runc containers; the pool limits processes per
    // sandbox with pidsLimit instead.
    "default-ulimits": { nofile: { Name: "nofile", Soft: CONTAINER_NOFILE, Hard: CONTAINER_NOFILE } },
  };
}

/** The ExecStart of the base drop-in, also the prefix of the post-boot step's ExecStart. */
export function dockerdBaseCommand(source: DockerHostSettings["packageSource"]): string {
  return `${dockerdPath(source)} -H fd:// --containerd=${CONTAINERD_SOCKET}`;
}

/**
 * runc applies a container's rlimits with setrlimit(2) in the container's init; a hard limit above the one
 * it inherited needs CAP_SYS_RESOURCE. On a cloud server root has it and PID 1 runs with the kernel's
 * maximum (systemd raises its own to fs.nr_open), so 65536 always applies. Where the host itself is confined
 * (a container as test host, some LXC or nested setups) the bounding set lacks the capability and every runc
 * container would fail to start with "error setting rlimit type 7". runsc applies rlimits inside its own
 * kernel and is not affected, which is why only runc profiles failed. Hence: never ask for more than PID 1's
 * hard limit, which bounds what every service on the host (containerd, its shims, runc) inherits.
 */
function containerLimitsStep(): BootstrapStep {
  return {
    name: "container-limits",
    why: `Containers' open-files limit: ${CONTAINER_NOFILE}, or less where the host grants less (runc could not start containers otherwise).`,
    script: `host_hard=$(awk '/^Max open files/ { print $5 }' /proc/1/limits)
if [[ "$host_hard" =~ ^[0-9]+$ ]] && [ "$host_hard" -lt ${CONTAINER_NOFILE} ]; then
  echo "sandfleet: this host grants at most $host_hard open files (PID 1's hard limit); containers get $host_hard instead of ${CONTAINER_NOFILE}"
  python3 - "$host_hard" ${DAEMON_JSON_PATH} <<'PY'
import json, sys
limit, path = int(sys.argv[1]), sys.argv[2]
with open(path) as f:
    daemon = json.load(f)
daemon["default-ulimits"]["nofile"].update({"Soft": limit, "Hard": limit})
with open(path, "w") as f:
    json.dump(daemon, f, indent=2)
    f.write("\\n")
PY
fi`,
  };
}

export function dockerFragment(config: HostCloudConfig): CloudConfigFragment {
  const mountsFor: [string, string][] = config.volume?.mountPoint === "/var/lib/docker" ? [["RequiresMountsFor", "/var/lib/docker"]] : [];
  const dropIn = renderUnit(
    "cloud-init/docker.ts",
    [
      "Owns dockerd's command line so that:",
      "- listeners are flags, never `hosts` in daemon.json (a `hosts` key conflicts with -H fd://);",
      "- /etc/default/docker (DOCKER_OPTS) cannot add listeners behind our back;",
      "- the data volume is mounted before dockerd writes to /var/lib/docker.",
      "The post-boot step adds the mutual-TLS listener in 20-sandfleet-tls.conf.",
    ].join("\n"),
    [
      ["Unit", [["After", "sandfleet-firewall.service"], ...mountsFor]],
      // The empty ExecStart= clears the packaged command line before ours replaces it.
      ["Service", [["ExecStart", ""], ["ExecStart", dockerdBaseCommand(config.docker.packageSource)]]],
    ],
  );
  return {
    files: [
      { path: DAEMON_JSON_PATH, content: `${JSON.stringify(daemonJson(config.role, config.docker), null, 2)}\n`, permissions: "0644" },
      { path: DOCKER_BASE_DROP_IN, content: dropIn, permissions: "0644" },
      runscWrapperFile(),
    ],
    steps: [containerLimitsStep()],
  };
}
