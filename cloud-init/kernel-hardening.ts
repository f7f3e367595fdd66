/**
 * Kernel hardening sysctls: the ones lynis (KRNL-6000, its default profile) and the CIS Debian benchmark ask
 * for, minus those that would break Docker or gVisor. Two sets, because they differ in whom they touch:
 * - network settings are per network namespace: a file in /etc/sysctl.d, applied by systemd-sysctl at boot
 *   and by the bootstrap step now;
 * - kernel-wide settings belong to the machine's kernel: applied by a unit that does not run in a container
 *   (ConditionVirtualization=!container). A container shares its host's kernel, so a local test host must not
 *   change it for everything else on the machine (kernel.unprivileged_bpf_disabled=1 cannot be undone
 *   without a reboot).
 *
 * Left out, with the reason (docs/security.md lists them too):
 * - net.ipv4.conf.all.forwarding=0 and net.ipv6.conf.all.forwarding=0: Docker routes container traffic.
 * - kernel.modules_disabled=1: dockerd and its iptables rules load modules (overlay, br_netfilter, nf_*) after boot.
 * - kernel.yama.ptrace_scope=2 or 3: 1 suffices for lynis; gVisor's ptrace platform traces its own children.
 */
import type { CloudConfigFragment } from "./fragment";
import { renderUnit } from "./systemd-unit";

export const NETWORK_SYSCTL_PATH = "/etc/sysctl.d/60-sandfleet-network.conf";
export const KERNEL_SYSCTL_PATH = "/etc/sandfleet/kernel-hardening.conf";
export const KERNEL_HARDENING_UNIT = "sandfleet-kernel-hardening.service";
export const MODPROBE_BLOCKLIST_PATH = "/etc/modprobe.d/60-sandfleet-blocklist.conf";

/**
 * Kernel modules that are never loaded (CIS 1.1.x / 3.x, lynis USB-1000, STRG-1846, NETW-3200): removable
 * storage nobody plugs into a cloud server, and network protocols nothing here speaks. gVisor has no SCTP,
 * DCCP, RDS or TIPC of its own either, so no sandbox loses anything.
 */
export const BLOCKED_KERNEL_MODULES = ["usb-storage", "firewire-core", "firewire-ohci", "dccp", "sctp", "rds", "tipc"] as const;

/** Per network namespace. Docker's bridges inherit `default.*`; none of these touch forwarding. */
export const NETWORK_SYSCTLS: Record<string, string> = {
  "net.ipv4.conf.all.accept_redirects": "0",
  "net.ipv4.conf.default.accept_redirects": "0",
  "net.ipv4.conf.all.secure_redirects": "0",
  "net.ipv4.conf.default.secure_redirects": "0",
  "net.ipv4.conf.all.send_redirects": "0",
  "net.ipv4.conf.default.send_redirects": "0",
  "net.ipv4.conf.all.accept_source_route": "0",
  "net.ipv4.conf.default.accept_source_route": "0",
  "net.ipv4.conf.all.bootp_relay": "0",
  "net.ipv4.conf.all.proxy_arp": "0",
  "net.ipv4.conf.all.log_martians": "1",
  "net.ipv4.conf.default.log_martians": "1",
  // Strict reverse-path filtering: every provider routes a host's traffic back the way it came (one default
  // route; private networks on their own interface), and Docker's bridges are directly connected.
  "net.ipv4.conf.all.rp_filter": "1",
  "net.ipv4.conf.default.rp_filter": "1",
  "net.ipv4.icmp_echo_ignore_broadcasts": "1",
  "net.ipv4.icmp_ignore_bogus_error_responses": "1",
  "net.ipv4.tcp_syncookies": "1",
  "net.ipv6.conf.all.accept_redirects": "0",
  "net.ipv6.conf.default.accept_redirects": "0",
  "net.ipv6.conf.all.accept_source_route": "0",
  "net.ipv6.conf.default.accept_source_route": "0",
};

/** Kernel-wide. */
export const KERNEL_SYSCTLS: Record<string, string> = {
  "dev.tty.ldisc_autoload": "0",
  "fs.protected_fifos": "2",
  "fs.protected_regular": "2",
  "fs.protected_hardlinks": "1",
  "fs.protected_symlinks": "1",
  "fs.suid_dumpable": "0",
  "kernel.core_uses_pid": "1",
  "kernel.ctrl-alt-del": "0",
  "kernel.dmesg_restrict": "1",
  "kernel.kptr_restrict": "2",
  "kernel.perf_event_paranoid": "3",
  "kernel.randomize_va_space": "2",
  "kernel.sysrq": "0",
  // Debian's default is 2 (off, but root may turn it on again); 1 cannot be turned on again until reboot.
  // Docker and gVisor use BPF as root (cgroup device filters, seccomp), which this does not restrict.
  "kernel.unprivileged_bpf_disabled": "1",
  "kernel.yama.ptrace_scope": "1",
  "net.core.bpf_jit_harden": "2",
};

function sysctlFile(why: string, settings: Record<string, string>): string {
  return [`# Written by sandfleet (cloud-init). ${why}`, ...Object.entries(settings).map(([key, value]) => `${key} = ${value}`), ""].join("\n");
}

export function kernelHardeningFragment(): CloudConfigFragment {
  const unit = renderUnit(
    "cloud-init/kernel-hardening.ts",
    "Kernel-wide hardening sysctls, at every boot, on a real or virtual\nmachine only: a container shares its host's kernel and must not change it.",
    [
      [
        "Unit",
        [
          ["Description", "sandfleet kernel hardening sysctls"],
          ["ConditionVirtualization", "!container"],
          ["After", "systemd-sysctl.service"],
          ["Before", "docker.service"],
        ],
      ],
      [
        "Service",
        [
          ["Type", "oneshot"],
          ["RemainAfterExit", "yes"],
          // -e: a key this kernel does not have (no Yama, say) is skipped instead of failing the unit.
          ["ExecStart", `/usr/sbin/sysctl -e -p ${KERNEL_SYSCTL_PATH}`],
        ],
      ],
      ["Install", [["WantedBy", "sysinit.target"]]],
    ],
  );
  return {
    packages: ["procps"],
    files: [
      { path: NETWORK_SYSCTL_PATH, content: sysctlFile("Network hardening, per network namespace (kernel-hardening.ts).", NETWORK_SYSCTLS), permissions: "0644" },
      { path: KERNEL_SYSCTL_PATH, content: sysctlFile(`Kernel-wide hardening, applied by ${KERNEL_HARDENING_UNIT}.`, KERNEL_SYSCTLS), permissions: "0644" },
      { path: `/etc/systemd/system/${KERNEL_HARDENING_UNIT}`, content: unit, permissions: "0644" },
      {
        path: MODPROBE_BLOCKLIST_PATH,
        content: [
          "# Written by sandfleet (cloud-init): modules a sandbox host never needs; `install ... /bin/false` also stops",
          "# loads by dependency or by request, which `blacklist` alone does not.",
          ...BLOCKED_KERNEL_MODULES.map((module) => `install ${module} /bin/false`),
          "",
        ].join("\n"),
        permissions: "0644",
      },
    ],
    steps: [
      {
        name: "kernel-hardening",
        why: "Hardening sysctls now (systemd applies them at every later boot); kernel-wide ones not inside a container.",
        script: `sysctl -q -p ${NETWORK_SYSCTL_PATH}
systemctl daemon-reload
systemctl enable ${KERNEL_HARDENING_UNIT}
systemctl start ${KERNEL_HARDENING_UNIT}
if systemd-detect-virt --container --quiet; then
  echo "sandfleet: in a container ($(systemd-detect-virt --container)): kernel-wide sysctls left to the host's kernel"
fi`,
      },
    ],
  };
}
