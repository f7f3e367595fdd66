/**
 * The egress proxy of a workspace host: Debian's Squid, the only way out for sandboxes with an egress policy.
 *
 *   sandbox (on the `--internal` network sandfleet-egress, no route out)
 *     -> HTTP / CONNECT to the bridge's own address :3128 (the only thing the host firewall lets it reach)
 *     -> Squid: asks the policy helper (per request, no caching: a changed policy applies to the next request)
 *        whether this sandbox (by its source address) may reach this name and port; only then resolves the
 *        name, refuses private and metadata destinations after resolution, and connects as the `proxy` user,
 *        whose own packets to those ranges the host firewall drops as well (firewall.ts).
 *
 * Fail-closed by construction: no policy file = refused; proxy stopped = nothing listens on the address and
 * DOCKER-USER rejects everything the network tries to forward (docker-user.ts), so there is no way around it.
 * Sandboxes get no resolver of their own that answers (Docker's embedded DNS does not forward for internal
 * networks): names are resolved by the proxy, for allowed requests only, so no query for an arbitrary name
 * leaves the host.
 *
 * The runtime writes the policy files through the Docker API (runtime/sandbox/egress-policy.ts); the paths
 * and the file format are in runtime/sandbox/egress-host.ts, the contract both sides read.
 */
import {
  EGRESS_BRIDGE,
  EGRESS_DENIED_KEEP,
  EGRESS_DENIED_MAX_BYTES,
  EGRESS_DENIED_SUBDIR,
  EGRESS_GATEWAY,
  EGRESS_NETWORK,
  EGRESS_POLICY_SUBDIR,
  EGRESS_PROXY_PORT,
  EGRESS_STATE_DIR,
  EGRESS_SUBNET,
} from "../runtime/sandbox/egress-host";
import { BLOCKED_FROM_CONTAINERS, BLOCKED_FROM_CONTAINERS_IPV6 } from "./docker-user";
import type { CloudConfigFragment } from "./fragment";
import { DEFAULT_SANDBOX_DNS } from "./sandbox-dns";
import type { HostCloudConfig } from "./types";
import { renderUnit } from "./systemd-unit";

export const EGRESS_PROXY_CONFIG_PATH = "/etc/sandfleet/egress-proxy.conf";
export const EGRESS_POLICY_HELPER_PATH = "/usr/local/lib/sandfleet/egress-policy";
export const EGRESS_NETWORK_SCRIPT_PATH = "/usr/local/sbin/sandfleet-egress-network";
export const EGRESS_NETWORK_UNIT = "sandfleet-egress-network.service";
export const EGRESS_PROXY_UNIT = "sandfleet-egress-proxy.service";
export const EGRESS_TMPFILES_PATH = "/etc/tmpfiles.d/sandfleet-egress.conf";
/** Debian's own squid.service (all addresses, Debian's config): masked, our unit runs Squid instead. */
const DEBIAN_SQUID_UNIT = "squid.service";
/** The user Squid's workers and helpers run as (Debian's base-passwd: uid 13), matched by the host firewall. */
export const EGRESS_PROXY_USER = "proxy";

/**
 * Destinations the proxy never connects to, whatever a policy says: the ranges containers may not reach
 * (one list, docker-user.ts), the private network, loopback and "this host" (the host's own services).
 */
export function egressBlockedDestinations(config: HostCloudConfig): { ipv4: string[]; ipv6: string[] } {
  return {
    ipv4: [...new Set([config.privateNetworkCidr, ...BLOCKED_FROM_CONTAINERS, "127.0.0.0/8", "0.0.0.0/8"])],
    ipv6: [...BLOCKED_FROM_CONTAINERS_IPV6, "::1/128", "::/128"],
  };
}

/** Squid's configuration (the whole file: Debian's default config, which listens everywhere, is not used). */
export function egressProxyConfig(config: HostCloudConfig): string {
  const blocked = egressBlockedDestinations(config);
  const dns = config.docker.sandboxDns ?? DEFAULT_SANDBOX_DNS;
  return [
    "# Written by sandfleet (cloud-init, cloud-init/egress-proxy.ts). The egress proxy of sandboxes with an egress",
    "# policy; it listens only on the egress network's bridge address.",
    `http_port ${EGRESS_GATEWAY}:${EGRESS_PROXY_PORT}`,
    "",
    `acl sandboxes src ${EGRESS_SUBNET}`,
    "# Never connected to, whatever a policy allows (checked on the resolved addresses, so a public name that",
    "# resolves to a private address is refused too); the host firewall drops the proxy user's packets to them.",
    `acl blocked_destinations dst ${[...blocked.ipv4, ...blocked.ipv6].join(" ")}`,
    "# The per-sandbox policy, asked for every request (ttl=0, negative_ttl=0: no cached answers), so a policy",
    "# written by the runtime applies from the next request on. Arguments: source address, host, port, method.",
    `external_acl_type sandfleet_policy ttl=0 negative_ttl=0 children-max=8 children-startup=2 %SRC %DST %PORT %METHOD ${EGRESS_POLICY_HELPER_PATH}`,
    "acl policy_allows external sandfleet_policy",
    "",
    "http_access deny !sandboxes",
    "# The policy first: a refused name is never resolved (no DNS query for arbitrary names leaves the host).",
    "http_access deny !policy_allows",
    "http_access deny blocked_destinations",
    "http_access allow sandboxes",
    "http_access deny all",
    "",
    "# A forwarding proxy only: nothing is cached (one sandbox must never be served what another fetched).",
    "cache deny all",
    "cache_mem 8 MB",
    `dns_nameservers ${dns.join(" ")}`,
    "# The sandbox's address stays on the host.",
    "forwarded_for delete",
    "via off",
    "httpd_suppress_version_string on",
    "# No ICMP probing of destinations (Squid's pinger): not needed for a forwarding proxy.",
    "pinger_enable off",
    "access_log daemon:/var/log/squid/access.log squid",
    "cache_log /var/log/squid/cache.log",
    "pid_filename /run/sandfleet-egress-proxy.pid",
    "coredump_dir /var/spool/squid",
    "# A restart (policy change needs none) should not keep sandboxes waiting.",
    "shutdown_lifetime 1 seconds",
    "",
  ].join("\n");
}

/**
 * The external ACL helper (Python 3, which Debian cloud images carry for cloud-init). Reads one request per
 * line, answers OK or ERR, and appends each refusal to the sandbox's denial log. Any error means ERR.
 */
export function egressPolicyHelper(): string {
  return `#!/usr/bin/python3
# Written by sandfleet (cloud-init, cloud-init/egress-proxy.ts): Squid's external ACL helper for the egress
# policy. Input per line: SOURCE-IP HOST PORT METHOD (URL-escaped by Squid). Output: OK or ERR.
# Policy: ${EGRESS_STATE_DIR}/${EGRESS_POLICY_SUBDIR}/<source-ip>.json (written by the runtime); none = ERR.
import ipaddress, json, os, re, sys, time
from urllib.parse import unquote

POLICY_DIR = "${EGRESS_STATE_DIR}/${EGRESS_POLICY_SUBDIR}"
DENIED_DIR = "${EGRESS_STATE_DIR}/${EGRESS_DENIED_SUBDIR}"
DENIED_MAX_BYTES = ${EGRESS_DENIED_MAX_BYTES}
SANDBOX_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def policy_for(source):
    address = ipaddress.ip_address(source)  # raises on anything else: no path tricks
    with open(os.path.join(POLICY_DIR, "%s.json" % address)) as f:
        return json.load(f)


def name_matches(host, pattern):
    pattern = pattern.lower().rstrip(".")
    if pattern.startswith("*."):
        return host.endswith(pattern[1:]) and len(host) > len(pattern) - 1
    return host == pattern


def allowed(policy, host, port):
    mode = policy.get("mode")
    if mode not in ("allowlist", "internet") or port not in policy.get("ports", []):
        return False
    if mode == "internet":
        return True
    try:
        literal = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        literal = None
    if literal is not None:
        return any(literal in ipaddress.ip_network(c, strict=False) for c in policy.get("cidrs", []))
    return any(name_matches(host, p) for p in policy.get("hosts", []))


def record_denial(policy, source, host, port, method):
    sandbox = str((policy or {}).get("sandbox", ""))
    if not SANDBOX_NAME.fullmatch(sandbox):
        sandbox = "unknown-%s" % ipaddress.ip_address(source)
    path = os.path.join(DENIED_DIR, "%s.jsonl" % sandbox)
    try:
        if os.path.getsize(path) >= DENIED_MAX_BYTES:
            return
    except OSError:
        pass
    line = json.dumps({"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "host": host, "port": port, "method": method})
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (line + "\\n").encode())
    finally:
        os.close(fd)


for raw in sys.stdin:
    verdict = "ERR"
    try:
        source, host, port, method = [unquote(part) for part in raw.split()[:4]]
        host, port = host.lower().rstrip("."), int(port)
        try:
            policy = policy_for(source)
        except (OSError, ValueError):
            policy = None
        if policy is not None and allowed(policy, host, port):
            verdict = "OK"
        else:
            record_denial(policy, source, host, port, method)
    except Exception:
        pass
    sys.stdout.write(verdict + "\\n")
    sys.stdout.flush()
`;
}

/** The state directory at every boot, and the age after which denial logs go (systemd-tmpfiles-clean, daily). */
function egressTmpfiles(): string {
  return [
    "# Written by sandfleet (cloud-init): the egress policies (written by the runtime) and denial logs (by the proxy).",
    `d ${EGRESS_STATE_DIR} 0755 root root -`,
    `d ${EGRESS_STATE_DIR}/${EGRESS_POLICY_SUBDIR} 0755 root root -`,
    `d ${EGRESS_STATE_DIR}/${EGRESS_DENIED_SUBDIR} 0755 ${EGRESS_PROXY_USER} ${EGRESS_PROXY_USER} ${EGRESS_DENIED_KEEP}`,
    "",
  ].join("\n");
}

/** Creates the egress network if missing, and refuses to carry on with one of the same name but other settings. */
function egressNetworkScript(): string {
  return `#!/bin/bash
# Written by sandfleet (cloud-init, cloud-init/egress-proxy.ts): the Docker network of sandboxes with egress.
# --internal: Docker gives it no route out and drops forwarding from it; no icc: sandboxes cannot reach each other.
set -euo pipefail
if subnet=$(docker network inspect --format '{{range .IPAM.Config}}{{.Subnet}}{{end}}' ${EGRESS_NETWORK} 2>/dev/null); then
  if [ "$subnet" != "${EGRESS_SUBNET}" ]; then
    echo "sandfleet: network ${EGRESS_NETWORK} exists with subnet $subnet, expected ${EGRESS_SUBNET}; remove it (docker network rm ${EGRESS_NETWORK}) and re-run" >&2
    exit 1
  fi
else
  docker network create --driver bridge --internal \\
    --subnet ${EGRESS_SUBNET} --gateway ${EGRESS_GATEWAY} \\
    --opt com.docker.network.bridge.name=${EGRESS_BRIDGE} \\
    --opt com.docker.network.bridge.enable_icc=false \\
    --opt com.docker.network.bridge.enable_ip_masquerade=false \\
    --label sandfleet.role=egress ${EGRESS_NETWORK} >/dev/null
fi
# Squid binds the bridge's address: wait until the bridge carries it.
for _ in $(seq 50); do
  ip -4 addr show dev ${EGRESS_BRIDGE} 2>/dev/null | grep -q 'inet ${EGRESS_GATEWAY}/' && exit 0
  sleep 0.1
done
echo "sandfleet: bridge ${EGRESS_BRIDGE} has no address ${EGRESS_GATEWAY}" >&2
exit 1
`;
}

export function egressProxyFragment(config: HostCloudConfig): CloudConfigFragment {
  if (config.role !== "workspace" || config.egressProxy === false) return {};
  const networkUnit = renderUnit("cloud-init/egress-proxy.ts", "The egress network, after every start of docker.service.", [
    [
      "Unit",
      [
        ["Description", `sandfleet egress network (${EGRESS_NETWORK}, ${EGRESS_SUBNET})`],
        ["After", "docker.service sandfleet-docker-user.service"],
        ["Requires", "docker.service"],
        ["PartOf", "docker.service"],
      ],
    ],
    ["Service", [["Type", "oneshot"], ["RemainAfterExit", "yes"], ["ExecStart", EGRESS_NETWORK_SCRIPT_PATH]]],
    ["Install", [["WantedBy", "docker.service"]]],
  ]);
  const proxyUnit = renderUnit(
    "cloud-init/egress-proxy.ts",
    "Squid with sandfleet's config, on the egress network's address only.\nStopped or failed = nothing listens there = no egress (never open egress).",
    [
      [
        "Unit",
        [
          ["Description", "sandfleet egress proxy (Squid) for sandboxes with an egress policy"],
          ["After", `network.target ${EGRESS_NETWORK_UNIT}`],
          ["Requires", EGRESS_NETWORK_UNIT],
        ],
      ],
      [
        "Service",
        [
          // As Debian's squid.service: Squid reports readiness to systemd from its worker.
          ["Type", "notify"],
          ["NotifyAccess", "all"],
          ["PIDFile", "/run/sandfleet-egress-proxy.pid"],
          ["ExecStartPre", `/usr/sbin/squid -k parse -f ${EGRESS_PROXY_CONFIG_PATH}`],
          ["ExecStart", `/usr/sbin/squid --foreground -sYC -f ${EGRESS_PROXY_CONFIG_PATH}`],
          ["ExecReload", "/bin/kill -HUP $MAINPID"],
          ["KillMode", "mixed"],
          ["Restart", "on-failure"],
          ["RestartSec", "2"],
        ],
      ],
      ["Install", [["WantedBy", "multi-user.target"]]],
    ],
  );
  return {
    packages: ["squid", "python3"],
    // Every boot, before packages: Debian's squid.service would listen on every address with Debian's config
    // (at install, and at boot). Masked, its start at install is skipped (debhelper ignores the failure).
    bootcmd: [["systemctl", "mask", DEBIAN_SQUID_UNIT]],
    files: [
      { path: EGRESS_TMPFILES_PATH, content: egressTmpfiles(), permissions: "0644" },
      { path: EGRESS_PROXY_CONFIG_PATH, content: egressProxyConfig(config), permissions: "0644" },
      { path: EGRESS_POLICY_HELPER_PATH, content: egressPolicyHelper(), permissions: "0755" },
      { path: EGRESS_NETWORK_SCRIPT_PATH, content: egressNetworkScript(), permissions: "0755" },
      { path: `/etc/systemd/system/${EGRESS_NETWORK_UNIT}`, content: networkUnit, permissions: "0644" },
      { path: `/etc/systemd/system/${EGRESS_PROXY_UNIT}`, content: proxyUnit, permissions: "0644" },
    ],
    steps: [
      {
        name: "egress-proxy",
        why: "Sandboxes with an egress policy reach the outside only through this proxy, which asks their policy per request.",
        script: `systemd-tmpfiles --create ${EGRESS_TMPFILES_PATH}
systemctl stop ${DEBIAN_SQUID_UNIT} 2>/dev/null || true
systemctl daemon-reload
systemctl enable ${EGRESS_NETWORK_UNIT} ${EGRESS_PROXY_UNIT}
systemctl restart ${EGRESS_NETWORK_UNIT}
systemctl restart ${EGRESS_PROXY_UNIT}`,
      },
    ],
  };
}
