/**
 * The Hetzner-specific part of the IPv4 arithmetic (which host addresses a Hetzner network reserves, where
 * the load balancer's private IP goes); parsing and formatting are the core's (components/fleet/ip-cidr.ts).
 */
import { isIPv4 } from "node:net";
import { intToIpv4, ipv4ToInt, parseIpv4Cidr, type Ipv4Cidr } from "../fleet/ip-cidr";

function rangeOf(cidr: string): Ipv4Cidr {
  const range = parseIpv4Cidr(cidr);
  if (!range) throw new Error(`"${cidr}" is not an IPv4 CIDR (a.b.c.d/n).`);
  return range;
}

/**
 * Whether `address` can be a host inside `cidr` on Hetzner: not the network address, not the gateway
 * (Hetzner takes the first host address of the network) and not the broadcast address.
 */
export function isUsableHostIn(address: string, cidr: string): boolean {
  if (!isIPv4(address)) throw new Error(`"${address}" is not an IPv4 address (a.b.c.d).`);
  const range = rangeOf(cidr);
  const ip = ipv4ToInt(address);
  return ip > range.base + 1 && ip < range.base + range.size - 1;
}

/** Offset of the load balancer's default private IP from the start of the network. */
const loadBalancerHostOffset = 250;

/**
 * The load balancer's default private IP: offset 250 of the network's first /24. The core's address
 * plan (components/fleet/address-plan.ts) gives that block to the platform and whatever a provider puts
 * next to it, and keeps offsets above 249 free of servers, so the two can never collide.
 */
export function defaultLoadBalancerIp(cidr: string): string {
  return intToIpv4(rangeOf(cidr).base + loadBalancerHostOffset);
}
