/**
 * The IPv4 arithmetic every layer needs, kept in the lowest one (cloud-init imports nothing above it):
 * the renderer's checks use it here, the core's CIDR module (components/fleet/ip-cidr.ts) builds on it.
 * Callers pass addresses already checked with `net.isIPv4`.
 */

/** `a.b.c.d` as an unsigned 32-bit integer. */
export function ipv4ToInt(ip: string): number {
  return ip.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

/** True when `address` lies in the range `base/prefix` (host bits of `base` are ignored). */
export function ipv4InRange(address: string, base: string, prefix: number): boolean {
  const size = 2 ** (32 - prefix);
  return Math.floor(ipv4ToInt(address) / size) === Math.floor(ipv4ToInt(base) / size);
}
