/**
 * The Hetzner firewalls' inbound rules: the fleet's firewall intent (components/ingress) in hcloud's rule
 * shape, one rule per port. A Hetzner firewall denies every inbound packet no rule allows (outbound stays
 * open while a firewall has no outbound rules), so each list is the complete set of what may reach a
 * server from the internet. Sources keep both address families (Hetzner servers have public IPv6).
 *
 * Hetzner Cloud firewalls do NOT filter traffic on private networks: anything on the site's network
 * reaches every port of every server regardless of these rules. The host firewall and the DOCKER-USER
 * chain rendered by cloud-init (cloud-init/) are what restrict 2376 and the rest on the private side;
 * for the same reason the load balancer (which reaches the platform over the private network) needs no rule.
 */
import { describePort, platformIngress, workspaceIngress, type IngressRule } from "../ingress";

export interface HetznerFirewallRule {
  direction: "in";
  protocol: "tcp";
  port: string;
  sourceIps: string[];
  description: string;
}

function toHetzner(rules: IngressRule[]): HetznerFirewallRule[] {
  return rules.flatMap((rule) =>
    rule.ports.map((port) => ({
      direction: "in" as const,
      protocol: "tcp" as const,
      port: String(port),
      sourceIps: rule.sources,
      description: describePort(rule, port),
    })),
  );
}

/** Platform server: SSH from the admin networks; each of `publicPorts` (80/443) from anywhere. Nothing else. */
export function platformFirewallRules(adminCidrs: readonly string[], publicPorts: readonly number[]): HetznerFirewallRule[] {
  return toHetzner(platformIngress({ adminCidrs, publicPorts }));
}

/**
 * Workspace server: SSH from the admin networks and the TLS Docker API (2376) from `dockerApiSources`
 * only. A private range among the sources only documents intent (Hetzner firewalls do not see private
 * traffic); the 2376 rule matters when the platform lives elsewhere and dials the pool from its public /32.
 */
export function workspaceFirewallRules(adminCidrs: readonly string[], dockerApiSources: readonly string[]): HetznerFirewallRule[] {
  return toHetzner(workspaceIngress({ adminCidrs, dockerApiSources }));
}
