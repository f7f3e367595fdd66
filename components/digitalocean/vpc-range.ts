/**
 * DigitalOcean's rules for a VPC's range, which its API enforces only when the VPC is created: the range
 * may not be larger than /16, and may not overlap any other VPC of the account, in any region
 * (docs.digitalocean.com, digitalocean_vpc `ip_range`, checked 2026-12-01). The overlap cannot be seen at
 * preview without listing the account's VPCs, which no Pulumi data source does; what can be prevented is
 * the usual cause, every stack of the account taking the same default range. So a stack that uses
 * DigitalOcean must choose its range, and the stack config (stacks/config.ts) asks for it.
 */
export const DIGITALOCEAN_LARGEST_VPC_PREFIX = 16;

/** Why `networkCidr` (prefix already parsed) cannot be a DigitalOcean VPC range, or undefined when it can. */
export function digitaloceanVpcRangeProblem(networkCidr: string | undefined, prefix: number): string | undefined {
  if (networkCidr === undefined) {
    return (
      "is required when the stack uses DigitalOcean: a VPC range may not overlap another VPC of the account, so " +
      "stacks that all took the default 10.0.0.0/16 could not share an account. Give each stack its own range, " +
      "e.g. 10.1.0.0/16 for one stack and 10.2.0.0/16 for the next"
    );
  }
  if (prefix < DIGITALOCEAN_LARGEST_VPC_PREFIX) {
    return `${networkCidr} is larger than DigitalOcean allows for a VPC (/${DIGITALOCEAN_LARGEST_VPC_PREFIX} at most); use a /${DIGITALOCEAN_LARGEST_VPC_PREFIX} or smaller range, e.g. 10.1.0.0/16`;
  }
  return undefined;
}
