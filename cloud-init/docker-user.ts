/**
 * The DOCKER-USER rule set: containers may reach the internet, but not the cloud metadata service
 * (169.254.0.0/16: user-data, instance credentials), the private network (other servers, their Docker APIs)
 * or any RFC1918 / CGNAT range. DOCKER-USER is the chain Docker reserves for the operator: it is evaluated
 * before Docker's own FORWARD rules and Docker never flushes it.
 *
 * Applied by a oneshot unit that runs after docker.service and is restarted with it (PartOf), so the rules
 * are back after every boot and daemon restart. Loaded with `iptables-restore --noflush`, which replaces
 * the two chains atomically (no window in which the chain is empty).
 *
 * IPv6 gets the same rule set through ip6tables: a user-defined Docker network with `--ipv6` (or a provider
 * that routes IPv6 to the host) must not open a way around it. Docker creates the IPv6 DOCKER-USER chain
 * only when its own ip6tables support is on, so the script hooks the chain into FORWARD itself if Docker did not.
 */
import { EGRESS_BRIDGE } from "../runtime/sandbox/egress-host";
import { DOCKER_TLS_PORT } from "./ports";
import type { CloudConfigFragment } from "./fragment";
import type { HostCloudConfig } from "./types";
import { renderUnit } from "./systemd-unit";

export const DOCKER_USER_SCRIPT_PATH = "/usr/local/sbin/sandfleet-docker-user";
export const DOCKER_USER_UNIT = "sandfleet-docker-user.service";
/** Destinations containers may never reach (besides the private network). */
export const BLOCKED_FROM_CONTAINERS = ["169.254.0.0/16", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"] as const;

/**
 * The IPv6 counterparts: unique local addresses (fc00::/7, IPv6's private ranges, holding AWS's IPv6 metadata
 * address fd00:ec2::254), link-local (fe80::/10, where metadata and neighbours live), and the well-known and
 * local-use NAT64 prefixes (64:ff9b::/96, 64:ff9b:1::/48), which a NAT64 gateway would translate to the IPv4
 * ranges above.
 */
export const BLOCKED_FROM_CONTAINERS_IPV6 = ["fc00::/7", "fe80::/10", "64:ff9b::/96", "64:ff9b:1::/48"] as const;

/** The iptables-restore payload (filter table) for a host; family 6 gives the ip6tables-restore one. */
export function dockerUserRules(config: HostCloudConfig, family: 4 | 6 = 4): string {
  const blocked = family === 4 ? [...new Set([config.privateNetworkCidr, ...BLOCKED_FROM_CONTAINERS])] : [...BLOCKED_FROM_CONTAINERS_IPV6];
  const reject = family === 4 ? "icmp-admin-prohibited" : "icmp6-adm-prohibited";
  const platformException =
    config.role === "platform" && family === 4
      ? [
          "# The platform's own services (the pool) run in containers and must dial the workspace servers' Docker",
          "# API; that one port on the private network is allowed. Workspace sandboxes get no exception.",
          `-A SANDFLEET-EGRESS -d ${config.privateNetworkCidr} -p tcp --dport ${DOCKER_TLS_PORT} -j RETURN`,
        ]
      : [];
  return [
    "*filter",
    // Declaring a chain under --noflush flushes it if it exists, creates it otherwise.
    ":DOCKER-USER - [0:0]",
    ":SANDFLEET-EGRESS - [0:0]",
    "# The egress network forwards nothing, in either direction: its sandboxes reach the outside only through",
    "# the proxy on the host (egress-proxy.ts), so a literal address or a sandbox ignoring its proxy gets nothing.",
    `-A DOCKER-USER -i ${EGRESS_BRIDGE} -j REJECT --reject-with ${reject}`,
    `-A DOCKER-USER -o ${EGRESS_BRIDGE} -j REJECT --reject-with ${reject}`,
    "-A DOCKER-USER -m conntrack --ctstate RELATED,ESTABLISHED -j RETURN",
    "-A DOCKER-USER -i docker0 -j SANDFLEET-EGRESS",
    "-A DOCKER-USER -i br-+ -j SANDFLEET-EGRESS",
    "-A DOCKER-USER -j RETURN",
    "# Container to container on a Docker network is Docker's business (icc); leave it alone.",
    "-A SANDFLEET-EGRESS -o docker0 -j RETURN",
    "-A SANDFLEET-EGRESS -o br-+ -j RETURN",
    ...platformException,
    ...blocked.map((net) => `-A SANDFLEET-EGRESS -d ${net} -j REJECT --reject-with ${reject}`),
    "-A SANDFLEET-EGRESS -j RETURN",
    "COMMIT",
    "",
  ].join("\n");
}

export function dockerUserFragment(config: HostCloudConfig): CloudConfigFragment {
  const script = [
    "#!/bin/sh",
    "# Written by sandfleet (cloud-init): keeps containers away from the metadata service and private ranges.",
    "# Re-running it is safe: the chains are replaced, not appended to.",
    "set -eu",
    "iptables-restore --noflush <<'RULES'",
    dockerUserRules(config, 4).trimEnd(),
    "RULES",
    "ip6tables-restore --noflush <<'RULES'",
    dockerUserRules(config, 6).trimEnd(),
    "RULES",
    "# Docker jumps to its IPv6 DOCKER-USER only when its ip6tables support is on; make sure something does.",
    "ip6tables -C FORWARD -j DOCKER-USER 2>/dev/null || ip6tables -I FORWARD 1 -j DOCKER-USER",
    "",
  ].join("\n");
  const unit = renderUnit("cloud-init/docker-user.ts", "Re-applies DOCKER-USER after every start of docker.service.", [
    [
      "Unit",
      [
        ["Description", "sandfleet DOCKER-USER rules (no metadata service or private ranges for containers)"],
        ["After", "docker.service"],
        ["PartOf", "docker.service"],
      ],
    ],
    ["Service", [["Type", "oneshot"], ["RemainAfterExit", "yes"], ["ExecStart", DOCKER_USER_SCRIPT_PATH]]],
    ["Install", [["WantedBy", "docker.service"]]],
  ]);
  return {
    packages: ["iptables"],
    files: [
      { path: DOCKER_USER_SCRIPT_PATH, content: script, permissions: "0755" },
      { path: `/etc/systemd/system/${DOCKER_USER_UNIT}`, content: unit, permissions: "0644" },
    ],
    steps: [
      {
        name: "docker-user",
        why: "Containers must not reach the metadata service or private ranges, from the first container on.",
        script: `systemctl daemon-reload
systemctl enable ${DOCKER_USER_UNIT}
systemctl restart ${DOCKER_USER_UNIT}`,
      },
    ],
  };
}
