/**
 * The DNS servers containers use (daemon.json `dns`), and which ones can work at all.
 *
 * Why explicit: without `dns`, Docker hands containers the host's resolvers (from /etc/resolv.conf). On
 * several clouds those sit in ranges DOCKER-USER rejects for containers (docker-user.ts), on purpose: AWS's
 * VPC resolver (the VPC base + 2, e.g. 10.0.0.2, or 169.254.169.253), GCP's metadata server
 * (169.254.169.254). Sandboxes would then have a network but no name resolution. Public resolvers keep DNS
 * working without an exception in DOCKER-USER, which would be a hole towards the private network or the
 * metadata service. Docker's embedded DNS (127.0.0.11 on user-defined networks) is no alternative: runsc
 * sandboxes cannot reach it (gVisor networking.md).
 */
import { isIPv4, isIPv6 } from "node:net";
import { BLOCKED_FROM_CONTAINERS } from "./docker-user";
import { ipv4InRange } from "./ipv4";

/** Cloudflare and Quad9: public, anycast, no account needed. Overridable per stack (`docker.sandboxDns`). */
export const DEFAULT_SANDBOX_DNS: readonly string[] = ["1.1.1.1", "9.9.9.9"];
/** A resolver reads at most three `nameserver` lines (glibc MAXNS); more would be silently ignored. */
export const MAX_SANDBOX_DNS = 3;

/**
 * Why each range DOCKER-USER rejects (docker-user.ts) is no resolver. Keyed by that list itself, so a range
 * added to the rule set cannot be forgotten here: the type demands its reason.
 */
const BLOCKED_WHY: Record<(typeof BLOCKED_FROM_CONTAINERS)[number], string> = {
  "10.0.0.0/8": "is a private range, which containers may not reach (DOCKER-USER)",
  "172.16.0.0/12": "is a private range, which containers may not reach (DOCKER-USER)",
  "192.168.0.0/16": "is a private range, which containers may not reach (DOCKER-USER)",
  "100.64.0.0/10": "is carrier-grade NAT space, which containers may not reach (DOCKER-USER)",
  "169.254.0.0/16": "is link-local (the metadata service's range), which containers may not reach (DOCKER-USER)",
};

/** IPv4 ranges a container cannot reach (DOCKER-USER rejects them) or that mean the container itself. */
const UNREACHABLE_V4: readonly [string, string][] = [
  ["0.0.0.0/8", "is not a host address"],
  ["127.0.0.0/8", "is the container's own loopback, not the host's resolver"],
  ...BLOCKED_FROM_CONTAINERS.map((range): [string, string] => [range, BLOCKED_WHY[range]]),
  ["224.0.0.0/3", "is not a unicast address"],
];

/** Why `address` cannot serve as a sandbox DNS server, or undefined when it can. */
export function sandboxDnsProblem(address: string): string | undefined {
  if (isIPv4(address)) {
    for (const [range, why] of UNREACHABLE_V4) {
      const [base, prefix] = range.split("/");
      if (ipv4InRange(address, base, Number(prefix))) return `${address} ${why}`;
    }
    return undefined;
  }
  if (isIPv6(address)) {
    const lower = address.toLowerCase();
    if (lower === "::" || lower === "::1") return `${address} is not a resolver containers can reach`;
    if (/^f[cd]/.test(lower)) return `${address} is a unique-local (private) address`;
    if (/^fe[89ab]/.test(lower)) return `${address} is link-local`;
    return undefined;
  }
  return `"${address}" is not an IP address`;
}
