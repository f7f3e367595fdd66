/**
 * Inbound rules of the DigitalOcean cloud firewalls, as pure data so the security rules are testable
 * without Pulumi. A Droplet with a firewall drops every inbound packet no rule allows, on the public and
 * the VPC interface alike; outbound rules are listed explicitly because a firewall without them blocks
 * all outbound traffic.
 */
export interface DigitaloceanInboundRule {
  protocol: "tcp";
  portRange: string;
  sourceAddresses?: string[];
  /** Filled by the site with the load balancer's id: traffic from the load balancer only. */
  fromLoadBalancer?: boolean;
}

export const sshPort = 22;
export const dockerTlsPort = 2376;
export const dockerPlainPort = 2375;
const neverPublic = new Set([sshPort, dockerPlainPort, dockerTlsPort]);

export const allOutbound = [
  { protocol: "tcp", portRange: "1-65535", destinationAddresses: ["0.0.0.0/0", "::/0"] },
  { protocol: "udp", portRange: "1-65535", destinationAddresses: ["0.0.0.0/0", "::/0"] },
  { protocol: "icmp", destinationAddresses: ["0.0.0.0/0", "::/0"] },
];

export function toSourceCidr(source: string): string {
  const trimmed = source.trim();
  if (trimmed.includes("/")) return trimmed;
  return trimmed.includes(":") ? `${trimmed}/128` : `${trimmed}/32`;
}
const coversWholeInternet = (cidr: string) => toSourceCidr(cidr).endsWith("/0");

function adminSshRule(adminCidrs: readonly string[]): DigitaloceanInboundRule {
  if (adminCidrs.length === 0) {
    throw new Error("adminCidrs is empty: SSH needs at least one admin CIDR (e.g. your office /32); it never defaults to the internet.");
  }
  const open = adminCidrs.filter(coversWholeInternet);
  if (open.length > 0) {
    throw new Error(`adminCidrs contains ${open.join(", ")}, which opens SSH to the whole internet; list your admin networks instead.`);
  }
  return { protocol: "tcp", portRange: String(sshPort), sourceAddresses: [...new Set(adminCidrs.map(toSourceCidr))] };
}

function checkPublicPort(port: number, setting: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${setting} contains ${port}; a port is an integer from 1 to 65535.`);
  if (neverPublic.has(port)) {
    throw new Error(
      `${setting} contains ${port}, which is never served publicly (SSH comes from adminCidrs only, the Docker API from the private network only); remove it.`,
    );
  }
}

/**
 * Platform server: SSH from the admin networks, `publicPorts` from anywhere, and the load balancer's
 * target and health-check ports from the load balancer only.
 */
export function platformInboundRules(
  adminCidrs: readonly string[],
  publicPorts: readonly number[],
  loadBalancerPorts: readonly number[] = [],
): DigitaloceanInboundRule[] {
  const rules = [adminSshRule(adminCidrs)];
  for (const port of [...new Set(publicPorts)].sort((a, b) => a - b)) {
    checkPublicPort(port, "publicPorts");
    rules.push({ protocol: "tcp", portRange: String(port), sourceAddresses: ["0.0.0.0/0", "::/0"] });
  }
  for (const port of [...new Set(loadBalancerPorts)].sort((a, b) => a - b)) {
    checkPublicPort(port, "loadBalancer ports");
    rules.push({ protocol: "tcp", portRange: String(port), fromLoadBalancer: true });
  }
  return rules;
}

/** Workspace servers: SSH from the admin networks, the TLS Docker API (2376) from `dockerApiSources` only. */
export function workspaceInboundRules(adminCidrs: readonly string[], dockerApiSources: readonly string[]): DigitaloceanInboundRule[] {
  const open = dockerApiSources.filter(coversWholeInternet);
  if (open.length > 0) {
    throw new Error(
      `dockerApiSources contains ${open.join(", ")}, which would open the Docker API to the whole internet; allow only the platform server's address or the private range.`,
    );
  }
  if (dockerApiSources.length === 0) throw new Error("dockerApiSources is empty; the platform could not reach the pool's Docker API.");
  return [adminSshRule(adminCidrs), { protocol: "tcp", portRange: String(dockerTlsPort), sourceAddresses: [...new Set(dockerApiSources.map(toSourceCidr))] }];
}
