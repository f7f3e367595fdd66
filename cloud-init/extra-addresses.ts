/**
 * Extra public addresses (a Hetzner floating IP): the cloud routes them to the server but does not put
 * them on an interface, so the host must bind them itself, and again after every reboot (Hetzner's own
 * instructions: `ip addr add <ip> dev eth0` "will not survive a reboot" without persistent configuration).
 *
 * A oneshot unit instead of the distribution's network configuration (ifupdown's interfaces.d on Debian,
 * netplan on Ubuntu): one mechanism on every image, independent of which tool cloud-init rendered the
 * network with. `ip addr replace` makes it idempotent (re-running, restarting the unit or re-running the
 * bootstrap adds nothing twice). The primary address was configured first (DHCP), so it stays the source
 * of outbound traffic; the extra address only answers what arrives for it.
 */
import type { CloudConfigFragment } from "./fragment";
import type { HostCloudConfig } from "./types";
import { renderUnit } from "./systemd-unit";

export const EXTRA_ADDRESSES_SCRIPT_PATH = "/usr/local/sbin/sandfleet-extra-addresses";
export const EXTRA_ADDRESSES_UNIT = "sandfleet-extra-addresses.service";
/** How long the unit waits for a default route (DHCP may still be running) before it gives up. */
export const DEFAULT_ROUTE_WAIT_SECONDS = 60;

/** The script the unit runs: `up` binds every address, `down` removes them again. */
export function extraAddressesScript(addresses: readonly string[]): string {
  return [
    "#!/bin/sh",
    "# Written by sandfleet (cloud-init). Binds the public addresses the cloud routes to this host (floating IP)",
    "# to the public interface, as /32. Safe to re-run: `ip addr replace` never adds an address twice.",
    "set -eu",
    `addresses="${addresses.join(" ")}"`,
    'case "${1:-up}" in',
    "  up)",
    "    # The public interface is the one the default route leaves by (the private network has no default route).",
    "    iface='' waited=0",
    "    while :; do",
    `      iface=$(ip -4 route show default | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')`,
    `      if [ -n "$iface" ] || [ "$waited" -ge ${DEFAULT_ROUTE_WAIT_SECONDS} ]; then break; fi`,
    "      sleep 1; waited=$((waited + 1))",
    "    done",
    `    [ -n "$iface" ] || { echo "sandfleet: no default route after ${DEFAULT_ROUTE_WAIT_SECONDS}s; cannot bind $addresses" >&2; exit 1; }`,
    '    for address in $addresses; do ip -4 addr replace "$address/32" dev "$iface"; done',
    "    ;;",
    "  down)",
    "    for address in $addresses; do",
    `      for dev in $(ip -4 -o addr show to "$address/32" | awk '{ print $2 }'); do ip -4 addr del "$address/32" dev "$dev"; done`,
    "    done",
    "    ;;",
    '  *) echo "usage: $0 up|down" >&2; exit 2 ;;',
    "esac",
    "",
  ].join("\n");
}

export function extraAddressesFragment(config: HostCloudConfig): CloudConfigFragment {
  const addresses = config.extraIpv4Addresses ?? [];
  if (addresses.length === 0) return {};
  const unit = renderUnit("cloud-init/extra-addresses.ts", "Binds the floating IP(s) at every boot, before dockerd starts, so a\nservice bound to the floating IP finds it.", [
    [
      "Unit",
      [
        ["Description", "sandfleet extra public addresses (floating IP) on the public interface"],
        ["Wants", "network-online.target"],
        ["After", "network-online.target sandfleet-firewall.service"],
        ["Before", "docker.service"],
      ],
    ],
    [
      "Service",
      [
        ["Type", "oneshot"],
        ["RemainAfterExit", "yes"],
        ["ExecStart", `${EXTRA_ADDRESSES_SCRIPT_PATH} up`],
        ["ExecStop", `${EXTRA_ADDRESSES_SCRIPT_PATH} down`],
      ],
    ],
    ["Install", [["WantedBy", "multi-user.target"]]],
  ]);
  return {
    packages: ["iproute2"],
    files: [
      { path: EXTRA_ADDRESSES_SCRIPT_PATH, content: extraAddressesScript(addresses), permissions: "0755" },
      { path: `/etc/systemd/system/${EXTRA_ADDRESSES_UNIT}`, content: unit, permissions: "0644" },
    ],
    steps: [
      {
        name: "extra-addresses",
        why: "The floating IP reaches this host only once it is bound to the public interface; bind it now and at every boot.",
        // `up` again instead of a restart: a restart would drop the address for a moment on a re-run.
        script: `systemctl daemon-reload
systemctl enable --now ${EXTRA_ADDRESSES_UNIT}
${EXTRA_ADDRESSES_SCRIPT_PATH} up`,
      },
    ],
  };
}
