/**
 * Inbound rules of the Azure network security groups, as pure data so the security rules are testable
 * without Pulumi. Azure's default rules allow everything from inside the virtual network
 * (`AllowVnetInBound`, priority 65000), so every group ends with an explicit deny of the virtual
 * network: inside the VNet, too, only the listed sources reach SSH and the Docker API.
 */
export interface AzureInboundRule {
  name: string;
  priority: number;
  access: "Allow" | "Deny";
  protocol: "Tcp" | "*";
  sourceAddressPrefixes: string[];
  /** `*` for every port. */
  destinationPortRanges: string[];
  description: string;
}

export const sshPort = 22;
export const dockerTlsPort = 2376;
export const dockerPlainPort = 2375;
const neverPublic = new Set([sshPort, dockerPlainPort, dockerTlsPort]);

export function toIpv4Cidr(source: string): string {
  const trimmed = source.trim();
  return trimmed.includes("/") ? trimmed : `${trimmed}/32`;
}
const coversWholeInternet = (cidr: string) => toIpv4Cidr(cidr).endsWith("/0");

const denyVirtualNetwork: AzureInboundRule = {
  name: "deny-vnet",
  priority: 4000,
  access: "Deny",
  protocol: "*",
  sourceAddressPrefixes: ["VirtualNetwork"],
  destinationPortRanges: ["*"],
  description: "nothing else from inside the virtual network (overrides Azure's AllowVnetInBound)",
};

function adminSshRule(adminCidrs: readonly string[]): AzureInboundRule {
  if (adminCidrs.length === 0) {
    throw new Error("adminCidrs is empty: SSH needs at least one admin CIDR (e.g. your office /32); it never defaults to the internet.");
  }
  const open = adminCidrs.filter(coversWholeInternet);
  if (open.length > 0) {
    throw new Error(`adminCidrs contains ${open.join(", ")}, which opens SSH to the whole internet; list your admin networks instead.`);
  }
  return {
    name: "ssh-admin",
    priority: 100,
    access: "Allow",
    protocol: "Tcp",
    sourceAddressPrefixes: [...new Set(adminCidrs.map(toIpv4Cidr))],
    destinationPortRanges: [String(sshPort)],
    description: "SSH from admin networks",
  };
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
 * Platform server: SSH from the admin networks; `publicPorts` and the load balancer's backend ports from
 * the internet (a Standard load balancer keeps client addresses); health probes from Azure's
 * `AzureLoadBalancer` address; nothing else.
 */
export function platformInboundRules(
  adminCidrs: readonly string[],
  publicPorts: readonly number[],
  loadBalancer?: { ports: readonly number[]; healthCheckPort: number },
): AzureInboundRule[] {
  const rules = [adminSshRule(adminCidrs)];
  const served = [...new Set([...publicPorts, ...(loadBalancer?.ports ?? [])])].sort((a, b) => a - b);
  served.forEach((port) => checkPublicPort(port, "publicPorts / loadBalancer ports"));
  if (served.length > 0) {
    rules.push({
      name: "public",
      priority: 200,
      access: "Allow",
      protocol: "Tcp",
      sourceAddressPrefixes: ["Internet"],
      destinationPortRanges: served.map(String),
      description: "ports the platform serves",
    });
  }
  if (loadBalancer) {
    checkPublicPort(loadBalancer.healthCheckPort, "loadBalancer healthCheckPort");
    rules.push({
      name: "lb-probe",
      priority: 300,
      access: "Allow",
      protocol: "Tcp",
      sourceAddressPrefixes: ["AzureLoadBalancer"],
      destinationPortRanges: [String(loadBalancer.healthCheckPort)],
      description: "load balancer health probes",
    });
  }
  return [...rules, denyVirtualNetwork];
}

/** Workspace servers: SSH from the admin networks, the TLS Docker API (2376) from `dockerApiSources` only. */
export function workspaceInboundRules(adminCidrs: readonly string[], dockerApiSources: readonly string[]): AzureInboundRule[] {
  const open = dockerApiSources.filter(coversWholeInternet);
  if (open.length > 0) {
    throw new Error(
      `dockerApiSources contains ${open.join(", ")}, which would open the Docker API to the whole internet; allow only the platform server's address or the private range.`,
    );
  }
  if (dockerApiSources.length === 0) throw new Error("dockerApiSources is empty; the platform could not reach the pool's Docker API.");
  return [
    adminSshRule(adminCidrs),
    {
      name: "docker-tls",
      priority: 200,
      access: "Allow",
      protocol: "Tcp",
      sourceAddressPrefixes: [...new Set(dockerApiSources.map(toIpv4Cidr))],
      destinationPortRanges: [String(dockerTlsPort)],
      description: "Docker API (mutual TLS) from the platform",
    },
    denyVirtualNetwork,
  ];
}
