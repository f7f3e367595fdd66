/**
 * The DigitalOcean cloud firewalls' inbound rules: the fleet's firewall intent (components/ingress) as
 * inbound rules, one per port. A Droplet with a firewall drops every inbound packet no rule allows, on the
 * public and the VPC interface alike; outbound rules are listed explicitly because a firewall without
 * them blocks all outbound traffic. The load balancer is named by its id, which the site fills in.
 */
import { platformIngress, workspaceIngress, type IngressRule } from "../ingress";

export interface DigitaloceanInboundRule {
  protocol: "tcp";
  portRange: string;
  sourceAddresses?: string[];
  /** Filled by the site with the load balancer's id: traffic from the load balancer only. */
  fromLoadBalancer?: boolean;
}

export const allOutbound = [
  { protocol: "tcp", portRange: "1-65535", destinationAddresses: ["0.0.0.0/0", "::/0"] },
  { protocol: "udp", portRange: "1-65535", destinationAddresses: ["0.0.0.0/0", "::/0"] },
  { protocol: "icmp", destinationAddresses: ["0.0.0.0/0", "::/0"] },
];

function toDigitalocean(rules: IngressRule[]): DigitaloceanInboundRule[] {
  return rules.flatMap((rule) =>
    rule.ports.map((port) =>
      rule.from === "load-balancer"
        ? { protocol: "tcp" as const, portRange: String(port), fromLoadBalancer: true }
        : { protocol: "tcp" as const, portRange: String(port), sourceAddresses: rule.sources },
    ),
  );
}

/**
 * Platform server: SSH from the admin networks, `publicPorts` from anywhere, and the load balancer's
 * target and health-check ports from the load balancer only (it connects from its own address).
 */
export function platformInboundRules(
  adminCidrs: readonly string[],
  publicPorts: readonly number[],
  loadBalancer?: { targetPorts: readonly number[]; healthCheckPort: number },
): DigitaloceanInboundRule[] {
  return toDigitalocean(platformIngress({ adminCidrs, publicPorts, loadBalancer: loadBalancer && { ...loadBalancer, keepsClientAddresses: false } }));
}

/** Workspace servers: SSH from the admin networks, the TLS Docker API (2376) from `dockerApiSources` only. */
export function workspaceInboundRules(adminCidrs: readonly string[], dockerApiSources: readonly string[]): DigitaloceanInboundRule[] {
  return toDigitalocean(workspaceIngress({ adminCidrs, dockerApiSources }));
}
