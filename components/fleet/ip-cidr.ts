/**
 * Minimal IPv4/IPv6 CIDR arithmetic for the address plan and the stack config's checks.
 * Pure (no @pulumi import): the stack config parser and the cost CLI use it without an engine.
 */
import { isIPv4, isIPv6 } from "node:net";
import { ipv4ToInt } from "../../cloud-init/ipv4";

export { ipv4ToInt };

export interface Ipv4Cidr {
  /** Network address as an unsigned 32-bit integer. */
  base: number;
  prefix: number;
  /** Number of addresses in the range. */
  size: number;
}

export function intToIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** Parses `a.b.c.d/n`; returns undefined for anything else (including host bits set). */
export function parseIpv4Cidr(cidr: string): Ipv4Cidr | undefined {
  const match = /^(\d{1,3}(?:\.\d{1,3}){3})\/(\d{1,2})$/.exec(cidr);
  if (!match || !isIPv4(match[1])) return undefined;
  const prefix = Number(match[2]);
  if (prefix > 32) return undefined;
  const size = 2 ** (32 - prefix);
  const base = ipv4ToInt(match[1]);
  if (base % size !== 0) return undefined;
  return { base, prefix, size };
}

export function formatIpv4Cidr(base: number, prefix: number): string {
  return `${intToIpv4(base)}/${prefix}`;
}

export type CidrCheck =
  | { ok: true; family: 4 | 6; prefix: number }
  | { ok: false; reason: "syntax" | "host-bits"; suggestion?: string };

/**
 * Checks an IPv4 or IPv6 CIDR. Host bits set (`198.51.100.7/24`) is reported separately, with the
 * network address as suggestion, because clouds reject such ranges or silently widen them.
 */
export function checkCidr(cidr: string): CidrCheck {
  const slash = cidr.indexOf("/");
  if (slash < 0) return { ok: false, reason: "syntax" };
  const address = cidr.slice(0, slash);
  const prefixText = cidr.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return { ok: false, reason: "syntax" };
  const prefix = Number(prefixText);
  if (isIPv4(address)) {
    if (prefix > 32) return { ok: false, reason: "syntax" };
    const size = 2 ** (32 - prefix);
    const base = ipv4ToInt(address);
    if (base % size !== 0) {
      return { ok: false, reason: "host-bits", suggestion: formatIpv4Cidr(base - (base % size), prefix) };
    }
    return { ok: true, family: 4, prefix };
  }
  if (isIPv6(address)) {
    if (prefix > 128) return { ok: false, reason: "syntax" };
    if (!ipv6HostBitsClear(address, prefix)) return { ok: false, reason: "host-bits" };
    return { ok: true, family: 6, prefix };
  }
  return { ok: false, reason: "syntax" };
}

function ipv6HostBitsClear(address: string, prefix: number): boolean {
  const [head, tail = ""] = address.includes("::") ? address.split("::") : [address, undefined as unknown as string];
  const headGroups = head ? head.split(":") : [];
  const tailGroups = address.includes("::") && tail ? tail.split(":") : [];
  if (headGroups.some((g) => g.includes(".")) || tailGroups.some((g) => g.includes("."))) return true;
  const missing = 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array(Math.max(missing, 0)).fill("0"), ...tailGroups].map((g) => parseInt(g, 16));
  for (let bit = prefix; bit < 128; bit++) {
    const group = groups[Math.floor(bit / 16)] ?? 0;
    if ((group >> (15 - (bit % 16))) & 1) return false;
  }
  return true;
}

/** True when the IPv4 range lies wholly inside one of `ranges`. */
export function isIpv4RangeWithin(cidr: Ipv4Cidr, ranges: readonly Ipv4Cidr[]): boolean {
  return ranges.some((r) => cidr.base >= r.base && cidr.base + cidr.size <= r.base + r.size);
}

const rfc1918Ranges = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map((r) => parseIpv4Cidr(r)!);

/** True when the IPv4 range lies inside 10/8, 172.16/12 or 192.168/16 (RFC 1918). */
export function isPrivateIpv4Range(cidr: Ipv4Cidr): boolean {
  return isIpv4RangeWithin(cidr, rfc1918Ranges);
}
