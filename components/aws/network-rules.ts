/**
 * The AWS security groups' inbound rules: the fleet's firewall intent (components/ingress) in the shape of
 * security-group ingress, one entry per port. A security group denies every inbound packet no rule
 * allows, and (unlike Hetzner firewalls) it filters traffic inside the VPC too: each list is the complete
 * set of what may reach a server, from anywhere. The AWS site is IPv4-only: `internet` rules keep
 * 0.0.0.0/0, and an IPv6 admin or Docker API source is refused instead of silently dropped.
 */
import { describePort, isIpv6, platformIngress, workspaceIngress, type IngressRule } from "../ingress";

export interface AwsIngressRule {
  protocol: "tcp";
  fromPort: number;
  toPort: number;
  cidrBlocks: string[];
  description: string;
}

/** The setting a rule's sources come from, for the IPv6 refusal. */
const settingOf: Record<IngressRule["from"], string> = {
  admins: "adminCidrs",
  platform: "dockerApiSources",
  internet: "publicPorts",
  "load-balancer": "the load balancer's subnet",
  "health-checks": "the load balancer's health checkers",
};

function ipv4Sources(rule: IngressRule): string[] {
  if (rule.from === "internet") return rule.sources.filter((s) => !isIpv6(s));
  const ipv6 = rule.sources.filter(isIpv6);
  if (ipv6.length > 0) {
    throw new Error(`${settingOf[rule.from]} contains IPv6 ranges (${ipv6.join(", ")}); the AWS site is IPv4-only, list IPv4 ${rule.from === "admins" ? "admin networks" : "sources"}.`);
  }
  return rule.sources;
}

function toAws(rules: IngressRule[]): AwsIngressRule[] {
  return rules.flatMap((rule) => {
    const cidrBlocks = ipv4Sources(rule);
    return rule.ports.map((port) => ({ protocol: "tcp" as const, fromPort: port, toPort: port, cidrBlocks, description: describePort(rule, port) }));
  });
}

/**
 * Platform server: SSH from the admin networks, each of `publicPorts` from anywhere (it serves them
 * directly), and the load balancer's target and health-check ports from the load balancer's subnet only
 * (the NLB's target groups do not preserve client IPs, so its traffic comes from its own private address).
 */
export function platformIngressRules(
  adminCidrs: readonly string[],
  publicPorts: readonly number[],
  loadBalancer?: { sourceCidr: string; targetPorts: readonly number[]; healthCheckPort: number },
): AwsIngressRule[] {
  return toAws(
    platformIngress({
      adminCidrs,
      publicPorts,
      loadBalancer: loadBalancer && {
        targetPorts: loadBalancer.targetPorts,
        healthCheckPort: loadBalancer.healthCheckPort,
        keepsClientAddresses: false,
        sources: [loadBalancer.sourceCidr],
      },
    }),
  );
}

/** Workspace servers: SSH from the admin networks, the TLS Docker API (2376) from `dockerApiSources` only. */
export function workspaceIngressRules(adminCidrs: readonly string[], dockerApiSources: readonly string[]): AwsIngressRule[] {
  return toAws(workspaceIngress({ adminCidrs, dockerApiSources }));
}
