/**
 * The little IPv4 arithmetic the Hetzner site needs: checking planned private IPs against the network
 * range, and picking the load balancer's private IP.
 */

const ipv4Pattern = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIpv4(address: string): number {
  const match = ipv4Pattern.exec(address);
  const octets = match?.slice(1).map(Number);
  if (!octets || octets.some((o) => o > 255)) throw new Error(`"${address}" is not an IPv4 address (a.b.c.d).`);
  return ((octets[0] << 24) | (octets[1] << 16) | (octets[2] << 8) | octets[3]) >>> 0;
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => (value >>> shift) & 255).join(".");
}

export interface Ipv4Range {
  network: number;
  prefix: number;
  /** First and last address of the range (network and broadcast address). */
  first: number;
  last: number;
}

export function parseIpv4Cidr(cidr: string): Ipv4Range {
  const [address, prefixText, extra] = cidr.split("/");
  const prefix = Number(prefixText);
  if (extra !== undefined || prefixText === undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > 32) {
    throw new Error(`"${cidr}" is not an IPv4 CIDR (a.b.c.d/n).`);
  }
  const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
  const network = (parseIpv4(address) & mask) >>> 0;
  return { network, prefix, first: network, last: (network | (~mask >>> 0)) >>> 0 };
}

/**
 * Whether `address` can be a host inside `cidr` on Hetzner: not the network address, not the gateway
 * (Hetzner takes the first host address of the network) and not the broadcast address.
 */
export function isUsableHostIn(address: string, cidr: string): boolean {
  const range = parseIpv4Cidr(cidr);
  const ip = parseIpv4(address);
  return ip > range.first + 1 && ip < range.last;
}

/** Offset of the load balancer's default private IP from the start of the network. */
export const loadBalancerHostOffset = 250;

/**
 * The load balancer's default private IP: offset 250 of the network's first /24. The core's address
 * plan (components/fleet/address-plan.ts) gives that block to the platform and whatever a provider puts
 * next to it, and keeps offsets above 249 free of servers, so the two can never collide.
 */
export function defaultLoadBalancerIp(cidr: string): string {
  return formatIpv4(parseIpv4Cidr(cidr).first + loadBalancerHostOffset);
}

/** Firewall sources in CIDR notation (`/32` or `/128` for a single address), defined once for every provider. */
export { toCidr as toSourceCidr } from "../ingress";
