/**
 * Ingress allow-lists of the GCP firewall rules, as pure data so the security rules are testable
 * without Pulumi. A VPC denies all ingress no rule allows (the implied rule), and rules apply inside the
 * VPC too; each rule targets the network tag of one role (platform, one pool).
 */
export interface GcpIngressRule {
  /** Suffix of the rule's resource name. */
  name: string;
  ports: number[];
  sourceRanges: string[];
  description: string;
}

export const sshPort = 22;
export const dockerTlsPort = 2376;
export const dockerPlainPort = 2375;
const neverPublic = new Set([sshPort, dockerPlainPort, dockerTlsPort]);
const internet = ["0.0.0.0/0"];
/** Where Google's health checkers for backend-service load balancers come from. */
export const gcpHealthCheckRanges = ["35.191.0.0/16", "209.85.152.0/22", "209.85.204.0/22"];

export function toIpv4Cidr(source: string): string {
  const trimmed = source.trim();
  return trimmed.includes("/") ? trimmed : `${trimmed}/32`;
}
const coversWholeInternet = (cidr: string) => toIpv4Cidr(cidr).endsWith("/0");

export function adminSshRule(adminCidrs: readonly string[]): GcpIngressRule {
  if (adminCidrs.length === 0) {
    throw new Error("adminCidrs is empty: SSH needs at least one admin CIDR (e.g. your office /32); it never defaults to the internet.");
  }
  const open = adminCidrs.filter(coversWholeInternet);
  if (open.length > 0) {
    throw new Error(`adminCidrs contains ${open.join(", ")}, which opens SSH to the whole internet; list your admin networks instead.`);
  }
  return { name: "ssh", ports: [sshPort], sourceRanges: [...new Set(adminCidrs.map(toIpv4Cidr))], description: "SSH from admin networks" };
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
 * Platform server: SSH from the admin networks; `publicPorts` and the load balancer's ports from
 * anywhere (a passthrough network load balancer keeps client addresses, so its traffic arrives from the
 * internet); the health-check port from Google's health checkers only.
 */
export function platformIngressRules(
  adminCidrs: readonly string[],
  publicPorts: readonly number[],
  loadBalancer?: { ports: readonly number[]; healthCheckPort: number },
): GcpIngressRule[] {
  const rules = [adminSshRule(adminCidrs)];
  const served = [...new Set([...publicPorts, ...(loadBalancer?.ports ?? [])])].sort((a, b) => a - b);
  served.forEach((port) => checkPublicPort(port, "publicPorts / loadBalancer ports"));
  if (served.length > 0) rules.push({ name: "public", ports: served, sourceRanges: internet, description: "ports the platform serves" });
  if (loadBalancer) {
    checkPublicPort(loadBalancer.healthCheckPort, "loadBalancer healthCheckPort");
    rules.push({ name: "health", ports: [loadBalancer.healthCheckPort], sourceRanges: gcpHealthCheckRanges, description: "load balancer health checks" });
  }
  return rules;
}

/** Workspace servers: SSH from the admin networks, the TLS Docker API (2376) from `dockerApiSources` only. */
export function workspaceIngressRules(adminCidrs: readonly string[], dockerApiSources: readonly string[]): GcpIngressRule[] {
  const open = dockerApiSources.filter(coversWholeInternet);
  if (open.length > 0) {
    throw new Error(
      `dockerApiSources contains ${open.join(", ")}, which would open the Docker API to the whole internet; allow only the platform server's address or the private range.`,
    );
  }
  if (dockerApiSources.length === 0) throw new Error("dockerApiSources is empty; the platform could not reach the pool's Docker API.");
  return [
    adminSshRule(adminCidrs),
    { name: "docker", ports: [dockerTlsPort], sourceRanges: [...new Set(dockerApiSources.map(toIpv4Cidr))], description: "Docker API (mutual TLS) from the platform" },
  ];
}

/** A passthrough network load balancer forwards packets unchanged: each listen port must be its target port. */
export function checkPassthroughPorts(ports: readonly { listen: number; target: number }[]): void {
  const translated = ports.filter((p) => p.listen !== p.target);
  if (translated.length > 0) {
    throw new Error(
      `GCP's passthrough network load balancer cannot translate ports (${translated.map((p) => `${p.listen}->${p.target}`).join(", ")}); ` +
        `make each loadBalancer port's target equal to its listen port.`,
    );
  }
}
