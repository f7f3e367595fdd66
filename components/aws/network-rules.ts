/**
 * Inbound allow-lists of the AWS security groups, as pure data so the security rules are testable
 * without Pulumi. A security group denies every inbound packet no rule allows, and (unlike Hetzner
 * firewalls) it filters traffic inside the VPC too: each list is the complete set of what may reach a
 * server, from anywhere.
 */
export interface AwsIngressRule {
  protocol: "tcp";
  fromPort: number;
  toPort: number;
  cidrBlocks: string[];
  description: string;
}

export const sshPort = 22;
export const dockerTlsPort = 2376;
/** The plain-text Docker API: never opened, to anyone. */
export const dockerPlainPort = 2375;
const neverPublic = new Set([sshPort, dockerPlainPort, dockerTlsPort]);

/** A source as security groups want it: IPv4 with a prefix (`/32` for one address). */
export function toIpv4Cidr(source: string): string {
  const trimmed = source.trim();
  return trimmed.includes("/") ? trimmed : `${trimmed}/32`;
}

const coversWholeInternet = (cidr: string) => toIpv4Cidr(cidr).endsWith("/0");

const rule = (port: number, cidrBlocks: string[], description: string): AwsIngressRule => ({
  protocol: "tcp",
  fromPort: port,
  toPort: port,
  cidrBlocks: [...new Set(cidrBlocks.map(toIpv4Cidr))],
  description,
});

export function adminSshRule(adminCidrs: readonly string[]): AwsIngressRule {
  if (adminCidrs.length === 0) {
    throw new Error("adminCidrs is empty: SSH needs at least one admin CIDR (e.g. your office /32); it never defaults to the internet.");
  }
  const open = adminCidrs.filter(coversWholeInternet);
  if (open.length > 0) {
    throw new Error(`adminCidrs contains ${open.join(", ")}, which opens SSH to the whole internet; list your admin networks instead.`);
  }
  const ipv6 = adminCidrs.filter((c) => c.includes(":"));
  if (ipv6.length > 0) {
    throw new Error(`adminCidrs contains IPv6 ranges (${ipv6.join(", ")}); the AWS site is IPv4-only, list IPv4 admin networks.`);
  }
  return rule(sshPort, [...adminCidrs], "SSH from admin networks");
}

function checkPublicPort(port: number, setting: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${setting} contains ${port}; a port is an integer from 1 to 65535.`);
  }
  if (neverPublic.has(port)) {
    throw new Error(
      `${setting} contains ${port}, which is never served publicly (SSH comes from adminCidrs only, the Docker API from the private network only); remove it.`,
    );
  }
}

/**
 * Platform server: SSH from the admin networks, each of `publicPorts` from anywhere (it serves them
 * directly), and the load balancer's target and health-check ports from the load balancer's subnet only
 * (the NLB's target groups do not preserve client IPs, so its traffic comes from its own private address).
 */
export function platformIngressRules(
  adminCidrs: readonly string[],
  publicPorts: readonly number[],
  loadBalancer?: { sourceCidr: string; ports: readonly number[] },
): AwsIngressRule[] {
  const rules = [adminSshRule(adminCidrs)];
  for (const port of [...new Set(publicPorts)].sort((a, b) => a - b)) {
    checkPublicPort(port, "publicPorts");
    rules.push(rule(port, ["0.0.0.0/0"], `public port ${port}`));
  }
  if (loadBalancer) {
    for (const port of [...new Set(loadBalancer.ports)].sort((a, b) => a - b)) {
      checkPublicPort(port, "loadBalancer ports");
      rules.push(rule(port, [loadBalancer.sourceCidr], `port ${port} from the load balancer`));
    }
  }
  return rules;
}

/** Workspace servers: SSH from the admin networks, the TLS Docker API (2376) from `dockerApiSources` only. */
export function workspaceIngressRules(adminCidrs: readonly string[], dockerApiSources: readonly string[]): AwsIngressRule[] {
  const open = dockerApiSources.filter(coversWholeInternet);
  if (open.length > 0) {
    throw new Error(
      `dockerApiSources contains ${open.join(", ")}, which would open the Docker API to the whole internet; allow only the platform server's address or the private range.`,
    );
  }
  const rules = [adminSshRule(adminCidrs)];
  if (dockerApiSources.length > 0) rules.push(rule(dockerTlsPort, [...dockerApiSources], "Docker API (mutual TLS) from the platform"));
  return rules;
}
