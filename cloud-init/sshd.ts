/**
 * sshd hardening. sshd keeps the FIRST value it reads for most keywords, and cloud images ship
 * /etc/ssh/sshd_config.d/50-cloud-init.conf (written by cloud-init, `PasswordAuthentication yes` on some
 * images), so our drop-in must sort before it: 00-sandfleet.conf.
 */
import type { CloudConfigFragment } from "./fragment";
import type { HostCloudConfig } from "./types";

export const SSHD_DROP_IN = "/etc/ssh/sshd_config.d/00-sandfleet.conf";

/** The effective settings, as `sshd -T` prints them (lowercase keys); the tests check these. */
export function sshdSettings(config: Pick<HostCloudConfig, "adminUser">): [string, string][] {
  return [
    ["PasswordAuthentication", "no"],
    ["KbdInteractiveAuthentication", "no"],
    ["PermitEmptyPasswords", "no"],
    ["PubkeyAuthentication", "yes"],
    ["AuthenticationMethods", "publickey"],
    // Root logs in with a key where root is the admin user (Hetzner); otherwise not at all.
    ["PermitRootLogin", config.adminUser === "root" ? "prohibit-password" : "no"],
    // `local` keeps -L / direct-tcpip: the platform is the bastion for workspace servers, and an SSH tunnel
    // to 127.0.0.1:2376 is the sanctioned way to reach a Docker API by hand. No remote forwards.
    ["AllowTcpForwarding", "local"],
    ["AllowAgentForwarding", "no"],
    ["AllowStreamLocalForwarding", "no"],
    ["GatewayPorts", "no"],
    ["PermitTunnel", "no"],
    ["X11Forwarding", "no"],
    ["PermitUserEnvironment", "no"],
    ["MaxAuthTries", "3"],
    ["LoginGraceTime", "30"],
    ["ClientAliveInterval", "300"],
    ["ClientAliveCountMax", "2"],
  ];
}

export function sshdFragment(config: HostCloudConfig): CloudConfigFragment {
  const content = [
    "# Written by sandfleet (cloud-init). Key-only SSH, no forwarding beyond local tunnels.",
    "# Named 00-* because sshd keeps the first value it reads and 50-cloud-init.conf may enable passwords.",
    ...sshdSettings(config).map(([key, value]) => `${key} ${value}`),
    "",
  ].join("\n");
  return {
    packages: ["openssh-server"],
    files: [{ path: SSHD_DROP_IN, content, permissions: "0644" }],
    steps: [
      {
        name: "sshd",
        why: "Apply the drop-in now (sshd may have started before it was written); `sshd -t` first so a bad file never locks us out.",
        script: `sshd -t
systemctl reload ssh.service`,
      },
    ],
  };
}
