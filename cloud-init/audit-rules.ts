/**
 * auditd with rules for the container engine (the CIS Docker benchmark's section 1.1): who changed the Docker
 * and containerd binaries, their configuration, their systemd units, Docker's state and sandfleet's own files.
 * Rules go to /etc/audit/rules.d (augenrules merges them at every start of auditd). They are not made
 * immutable (`-e 2`): every later rule change would then need a reboot.
 *
 * /var/lib/docker is watched except for what sandboxes write themselves (image and container layers, volumes,
 * container logs): under gVisor those writes are made on the host by runsc's gofer, one audit record per write
 * would flood the log, and they are the sandbox's business, not a change to the engine.
 *
 * The kernel accepts audit rules only from its initial PID namespace, so inside a container (a local test
 * host) auditctl is refused: there the rules are only merged by augenrules; on servers they are loaded and
 * the step checks `auditctl -l`.
 */
import { dockerdPath } from "./docker";
import { RUNSC_PATH, RUNSC_WRAPPER_PATH } from "./gvisor";
import type { CloudConfigFragment } from "./fragment";
import type { DockerHostSettings } from "./types";

export const AUDIT_RULES_PATH = "/etc/audit/rules.d/60-sandfleet-docker.rules";
/** The key on every rule: `ausearch -k docker` lists what they recorded. */
export const AUDIT_KEY = "docker";

/** Paths watched for writes and attribute changes (`-p wa`). */
export function auditedPaths(source: DockerHostSettings["packageSource"]): string[] {
  return [
    // Binaries: the daemon, containerd and its shim, both runc locations (Debian's /usr/sbin, containerd.io's /usr/bin), gVisor and its wrapper.
    dockerdPath(source),
    "/usr/bin/containerd",
    "/usr/bin/containerd-shim-runc-v2",
    "/usr/bin/runc",
    "/usr/sbin/runc",
    RUNSC_PATH,
    RUNSC_WRAPPER_PATH,
    "/usr/bin/docker",
    // Configuration and units.
    "/etc/docker",
    "/etc/containerd",
    "/etc/default/docker",
    "/etc/sysconfig/docker",
    "/lib/systemd/system/docker.service",
    "/lib/systemd/system/docker.socket",
    "/lib/systemd/system/containerd.service",
    "/etc/systemd/system/docker.service.d",
    "/etc/systemd/system/containerd.service.d",
    "/run/containerd",
    "/etc/sandfleet",
  ];
}

/** What sandboxes write under /var/lib/docker themselves; excluded before the directory's rule (first match wins). */
export const SANDBOX_WRITTEN_DIRS = ["/var/lib/docker/overlay2", "/var/lib/docker/containers", "/var/lib/docker/volumes", "/var/lib/docker/tmp"];

export function auditRules(source: DockerHostSettings["packageSource"]): string {
  return [
    "## Written by sandfleet (cloud-init): audit the container engine (CIS Docker benchmark 1.1), see audit-rules.ts.",
    ...SANDBOX_WRITTEN_DIRS.map((dir) => `-a never,exit -F dir=${dir}`),
    `-a always,exit -F dir=/var/lib/docker -F perm=wa -k ${AUDIT_KEY}`,
    ...auditedPaths(source).map((path) => `-w ${path} -p wa -k ${AUDIT_KEY}`),
    "",
  ].join("\n");
}

export function auditRulesFragment(settings: DockerHostSettings): CloudConfigFragment {
  return {
    // acct: process accounting (lastcomm, sa) next to the audit trail; under gVisor it sees runsc, not sandbox processes.
    packages: ["auditd", "acct"],
    files: [{ path: AUDIT_RULES_PATH, content: auditRules(settings.packageSource), permissions: "0640" }],
    steps: [
      {
        name: "audit-rules",
        why: "Load the engine's audit rules now (auditd merges rules.d at every start); in a container the kernel refuses audit rules, so only their merge is checked.",
        script: `augenrules --check || true
if systemd-detect-virt --container --quiet; then
  augenrules >/dev/null
  echo "sandfleet: in a container: the kernel accepts audit rules only from its initial PID namespace; merged into /etc/audit/audit.rules, not loaded"
else
  systemctl enable auditd.service
  augenrules --load
  auditctl -l | grep -q -- "-k ${AUDIT_KEY}" || { echo "sandfleet: the audit rules of ${AUDIT_RULES_PATH} are not loaded" >&2; exit 1; }
fi`,
      },
    ],
  };
}
