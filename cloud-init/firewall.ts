/**
 * The host firewall (nftables), defence in depth behind the provider's firewall: Hetzner Cloud firewalls
 * do not filter private-network traffic, so the Docker API port must be filtered on the host itself.
 *
 * Only inbound traffic to the host is filtered (hook input). Forwarded traffic to and from containers is
 * Docker's (and DOCKER-USER's, see docker-user.ts). We load our own table from our own unit instead of
 * Debian's nftables.service, whose config starts with `flush ruleset` and whose stop flushes everything:
 * that would delete Docker's and fail2ban's tables too.
 */
import { EGRESS_BRIDGE, EGRESS_GATEWAY, EGRESS_PROXY_PORT, EGRESS_SUBNET } from "../runtime/sandbox/egress-host";
import { egressBlockedDestinations, EGRESS_PROXY_USER } from "./egress-proxy";
import { DOCKER_TLS_PORT, SSH_PORT } from "./ports";
import type { CloudConfigFragment } from "./fragment";
import type { HostCloudConfig } from "./types";
import { cidr } from "./validate";
import { renderUnit } from "./systemd-unit";

export const FIREWALL_RULES_PATH = "/etc/sandfleet/firewall.nft";
export const FIREWALL_UNIT = "sandfleet-firewall.service";

function allowFrom(sources: string[], port: number, why: string): string[] {
  return [
    `    # ${why}`,
    ...sources.map((source) => {
      const family = cidr("firewall source", source).family === 4 ? "ip" : "ip6";
      return `    ${family} saddr ${source} tcp dport ${port} accept`;
    }),
  ];
}

/** The nftables ruleset of a host. Re-loading it replaces only the `inet sandfleet` table (idempotent). */
export function firewallRuleset(config: HostCloudConfig): string {
  const sshSources = [...new Set([...config.adminCidrs, config.privateNetworkCidr])];
  const lines = [
    "#!/usr/sbin/nft -f",
    "# Written by sandfleet (cloud-init). Default deny for traffic to this host; see the rules for what is open.",
    "# Declaring then deleting the table makes a re-load replace it without touching other tables.",
    "table inet sandfleet",
    "delete table inet sandfleet",
    "",
    "table inet sandfleet {",
    "  chain input {",
    "    type filter hook input priority filter; policy drop;",
    "    ct state established,related accept",
    "    ct state invalid drop",
    '    iif "lo" accept',
    ...(config.role === "workspace"
      ? [
          "    # Sandboxes with an egress policy: their proxy, on the egress bridge's own address, and nothing else of this",
          "    # host (no ICMP, no DHCP client ports, no IPv6): before the rules below, which hold for every interface.",
          `    iifname "${EGRESS_BRIDGE}" ip saddr ${EGRESS_SUBNET} ip daddr ${EGRESS_GATEWAY} tcp dport ${EGRESS_PROXY_PORT} accept`,
          `    iifname "${EGRESS_BRIDGE}" drop`,
        ]
      : []),
    "    # ICMP for path MTU discovery and diagnostics; ICMPv6 also carries neighbour discovery.",
    "    ip protocol icmp accept",
    "    ip6 nexthdr ipv6-icmp accept",
    "    # DHCP replies (private network interfaces are configured by DHCP on several clouds).",
    "    udp sport 67 udp dport 68 accept",
    "    udp sport 547 udp dport 546 accept",
    ...allowFrom(sshSources, SSH_PORT, "SSH from admin ranges and the private network (bastion hops through the platform server)."),
    ...(config.dockerApiSources.length
      ? allowFrom(config.dockerApiSources, DOCKER_TLS_PORT, "Docker API (mutual TLS) from the pool's sources only; never the internet.")
      : []),
    // No destination match: the public ports answer on every address of the host, the floating IP included.
    ...(config.publicPorts.length
      ? [
          config.extraIpv4Addresses?.length
            ? `    # Public services of this host, on its own address and on ${config.extraIpv4Addresses.join(", ")} alike.`
            : "    # Public services of this host.",
          `    tcp dport { ${config.publicPorts.join(", ")} } accept`,
        ]
      : []),
    "  }",
    ...(config.role === "workspace" ? egressProxyOutputChain(config) : []),
    "}",
    "",
  ];
  return lines.join("\n");
}

/**
 * Behind the proxy's own refusal of private destinations (egress-proxy.ts), the kernel's: whatever the proxy is
 * tricked into, its user's packets never reach the private network, the metadata address or this host itself.
 */
function egressProxyOutputChain(config: HostCloudConfig): string[] {
  const blocked = egressBlockedDestinations(config);
  return [
    "  chain egress-proxy-output {",
    "    type filter hook output priority filter; policy accept;",
    "    # Replies on connections already accepted (to sandboxes, from the outside) are not the proxy's choice.",
    "    ct state established,related accept",
    "    # Squid talks to its own helpers over IPv4 loopback (its IPC: a dropped hello means no helper runs). A",
    "    # sandbox's request for a loopback address is refused by Squid itself (blocked_destinations).",
    `    meta skuid "${EGRESS_PROXY_USER}" ip saddr 127.0.0.1 ip daddr 127.0.0.1 accept`,
    `    meta skuid "${EGRESS_PROXY_USER}" fib daddr type local reject`,
    `    meta skuid "${EGRESS_PROXY_USER}" ip daddr { ${blocked.ipv4.filter((r) => r !== "127.0.0.0/8").join(", ")} } reject`,
    `    meta skuid "${EGRESS_PROXY_USER}" ip6 daddr { ${blocked.ipv6.join(", ")} } reject`,
    "  }",
  ];
}

export function firewallFragment(config: HostCloudConfig): CloudConfigFragment {
  const unit = renderUnit("cloud-init/firewall.ts", "Loads the host firewall early, before the network and sshd/dockerd start.", [
    [
      "Unit",
      [
        ["Description", "sandfleet host firewall (nftables table inet sandfleet)"],
        ["DefaultDependencies", "no"],
        ["Wants", "network-pre.target"],
        ["Before", "network-pre.target shutdown.target ssh.service docker.service"],
        ["Conflicts", "shutdown.target"],
      ],
    ],
    [
      "Service",
      [
        ["Type", "oneshot"],
        ["RemainAfterExit", "yes"],
        ["ExecStart", `/usr/sbin/nft -f ${FIREWALL_RULES_PATH}`],
        ["ExecReload", `/usr/sbin/nft -f ${FIREWALL_RULES_PATH}`],
        // Stopping removes only our table (never `flush ruleset`: Docker's and fail2ban's tables stay).
        ["ExecStop", "-/usr/sbin/nft delete table inet sandfleet"],
      ],
    ],
    ["Install", [["WantedBy", "sysinit.target"]]],
  ]);
  return {
    packages: ["nftables"],
    files: [
      { path: FIREWALL_RULES_PATH, content: firewallRuleset(config), permissions: "0644" },
      { path: `/etc/systemd/system/${FIREWALL_UNIT}`, content: unit, permissions: "0644" },
    ],
    steps: [
      {
        name: "firewall",
        why: "Load the host firewall now and at every boot.",
        script: `systemctl daemon-reload
systemctl enable ${FIREWALL_UNIT}
systemctl restart ${FIREWALL_UNIT}`,
      },
    ],
  };
}
