/**
 * fail2ban for sshd. Debian (12 and 13) logs to the journal only (no /var/log/auth.log), so the jail must use the
 * systemd backend (python3-systemd), or fail2ban refuses to start. Bans go into fail2ban's own nftables
 * table, next to (not inside) the sandfleet firewall table.
 */
import type { CloudConfigFragment } from "./fragment";

export function fail2banFragment(): CloudConfigFragment {
  const jail = [
    "# Written by sandfleet (cloud-init). The provider firewall and our nftables table already limit SSH to",
    "# admin ranges; this bans brute force from inside those ranges too.",
    "[DEFAULT]",
    "banaction = nftables-multiport",
    "banaction_allports = nftables-allports",
    "",
    "[sshd]",
    "enabled = true",
    "backend = systemd",
    "mode = aggressive",
    "maxretry = 5",
    "findtime = 10m",
    "bantime = 1h",
    "",
  ].join("\n");
  return {
    packages: ["fail2ban", "python3-systemd"],
    files: [{ path: "/etc/fail2ban/jail.d/sandfleet.local", content: jail, permissions: "0644" }],
    steps: [
      {
        name: "fail2ban",
        why: "The package may have started before our jail existed; restart so it is in effect.",
        script: `systemctl enable fail2ban.service
systemctl restart fail2ban.service`,
      },
    ],
  };
}
