/**
 * Firewall sources as every cloud's rule API wants them: CIDR notation with an explicit prefix. Stack
 * settings may list a single address (`198.51.100.7`); firewalls need `198.51.100.7/32`.
 */

/** Both address families of the whole internet, for the ports the platform serves publicly. */
export const WHOLE_INTERNET: readonly string[] = ["0.0.0.0/0", "::/0"];

export const isIpv6 = (source: string): boolean => source.includes(":");

/** `source` with a prefix: `/32` for a single IPv4 address, `/128` for a single IPv6 address, else unchanged. */
export function toCidr(source: string): string {
  const trimmed = source.trim();
  if (trimmed.includes("/")) return trimmed;
  return isIpv6(trimmed) ? `${trimmed}/128` : `${trimmed}/32`;
}

/** True for a range that covers the whole internet of its family (`0.0.0.0/0`, `::/0`, any `/0`). */
export function coversWholeInternet(source: string): boolean {
  return Number(toCidr(source).split("/")[1]) === 0;
}

/** `sources` as CIDRs, each once, in the order given. */
export function toCidrs(sources: readonly string[]): string[] {
  return [...new Set(sources.map(toCidr))];
}
