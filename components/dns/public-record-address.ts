/**
 * Why workspace records carry public addresses only: `cloudflare.workspaceRecords` writes into the
 * fleet's public zone, which anyone can query. A private 10.x address there leaks the network plan and
 * resolves to nothing useful outside; the platform dials private addresses by IP and needs no DNS.
 * Private names belong in a private zone (cloud DNS or split-horizon), which sandfleet does not manage.
 */
import { isIpv4RangeWithin, isPrivateIpv4Range, parseIpv4Cidr } from "../fleet/ip-cidr";

/** Non-public IPv4 ranges besides RFC 1918: shared address space (CGNAT), loopback, link-local. */
const nonPublicRanges = ["100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "0.0.0.0/8"].map((r) => parseIpv4Cidr(r)!);

/** The address a public record of `server` may point at: its public IPv4, else a config error. */
export function publicRecordAddress(server: string, publicIp: string | undefined): string {
  const setting = "sandfleet:cloudflare.workspaceRecords";
  if (!publicIp) {
    throw new Error(
      `${setting}: ${server} has no public IPv4, and a public zone publishes only public addresses; set cloudflare.workspaceRecords: false, or give the pool servers with public IPv4`,
    );
  }
  const address = parseIpv4Cidr(`${publicIp}/32`);
  if (!address || isPrivateIpv4Range(address) || isIpv4RangeWithin(address, nonPublicRanges)) {
    throw new Error(
      `${setting}: ${server} would publish ${publicIp}, which is not a public address, in a public zone; set cloudflare.workspaceRecords: false, or give the pool servers with public IPv4`,
    );
  }
  return publicIp;
}
