/**
 * The GCP firewall rules: the fleet's firewall intent (components/ingress) as one VPC firewall per rule,
 * each targeting the network tag of one role (platform, one pool). A VPC denies all ingress no rule
 * allows (the implied rule), and rules apply inside the VPC too. The VPC is IPv4-only, so `internet`
 * rules keep 0.0.0.0/0.
 */
import { isIpv6, platformIngress, workspaceIngress, type IngressRule } from "../ingress";

export interface GcpIngressRule {
  /** Suffix of the rule's resource name. */
  name: string;
  ports: number[];
  sourceRanges: string[];
  description: string;
}

/** Where Google's health checkers for backend-service load balancers come from. */
export const gcpHealthCheckRanges = ["35.191.0.0/16", "209.85.152.0/22", "209.85.204.0/22"];

/** Resource-name suffixes of the neutral rules (kept as they were, so existing firewalls are not replaced). */
const gcpRuleName: Record<IngressRule["name"], string> = {
  ssh: "ssh",
  public: "public",
  "load-balancer": "lb",
  health: "health",
  docker: "docker",
};

function toGcp(rule: IngressRule): GcpIngressRule {
  // A GCP ingress rule without sources admits 0.0.0.0/0: an empty list must never reach the API.
  if (rule.sources.length === 0) throw new Error(`the GCP firewall rule "${rule.name}" has no source ranges; GCP would admit the whole internet.`);
  const sourceRanges = rule.from === "internet" ? rule.sources.filter((s) => !isIpv6(s)) : rule.sources;
  return { name: gcpRuleName[rule.name], ports: rule.ports, sourceRanges, description: rule.description };
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
  return platformIngress({
    adminCidrs,
    publicPorts,
    loadBalancer: loadBalancer && {
      targetPorts: loadBalancer.ports,
      healthCheckPort: loadBalancer.healthCheckPort,
      keepsClientAddresses: true,
      healthCheckSources: gcpHealthCheckRanges,
    },
  }).map(toGcp);
}

/**
 * Workspace servers: SSH from the admin networks, the TLS Docker API (2376) from `dockerApiSources` only.
 * The site declares the Docker API firewall before the sources are known (they may be another cloud's
 * output), so an empty list is refused here rather than leaving that firewall without sources.
 */
export function workspaceIngressRules(adminCidrs: readonly string[], dockerApiSources: readonly string[]): GcpIngressRule[] {
  if (dockerApiSources.length === 0) throw new Error("dockerApiSources is empty; the platform could not reach the pool's Docker API.");
  return workspaceIngress({ adminCidrs, dockerApiSources }).map(toGcp);
}

/**
 * A pool's firewalls as the site declares them, before the Docker API sources resolve (they may be another
 * cloud's output): the SSH rule complete, the Docker API rule without its sources, which
 * {@link workspaceIngressRules} checks and fills in once they are known.
 */
export function workspaceFirewallShapes(adminCidrs: readonly string[]): { ssh: GcpIngressRule; docker: Omit<GcpIngressRule, "sourceRanges"> } {
  // Any valid source gives the rule's static parts; 192.0.2.1 (TEST-NET-1) is never used as a source.
  const [ssh, { sourceRanges: _unused, ...docker }] = workspaceIngressRules(adminCidrs, ["192.0.2.1"]);
  return { ssh, docker };
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
