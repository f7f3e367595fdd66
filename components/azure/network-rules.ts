/**
 * The Azure network security groups' inbound rules: the fleet's firewall intent (components/ingress) as
 * NSG rules with fixed priorities. Azure names two peers by service tag: the whole internet is
 * `Internet`, the load balancer's health probes come from `AzureLoadBalancer`. Azure's default rules
 * allow everything from inside the virtual network (`AllowVnetInBound`, priority 65000), so every group
 * ends with an explicit deny of the virtual network: inside the VNet, too, only the listed sources reach
 * SSH and the Docker API.
 */
import { platformIngress, workspaceIngress, type IngressRule } from "../ingress";

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

/**
 * NSG rule name and priority of each neutral rule. Fixed rather than counted, so a rule keeps its
 * priority when another one comes or goes; every allow stays below the virtual-network deny (4000).
 */
const azureRuleOf: Record<IngressRule["name"], { name: string; priority: number }> = {
  ssh: { name: "ssh-admin", priority: 100 },
  public: { name: "public", priority: 200 },
  docker: { name: "docker-tls", priority: 200 },
  health: { name: "lb-probe", priority: 300 },
  "load-balancer": { name: "lb", priority: 300 },
};

const denyVirtualNetwork: AzureInboundRule = {
  name: "deny-vnet",
  priority: 4000,
  access: "Deny",
  protocol: "*",
  sourceAddressPrefixes: ["VirtualNetwork"],
  destinationPortRanges: ["*"],
  description: "nothing else from inside the virtual network (overrides Azure's AllowVnetInBound)",
};

function sourcePrefixes(rule: IngressRule): string[] {
  if (rule.from === "internet") return ["Internet"];
  if (rule.from === "health-checks") return ["AzureLoadBalancer"];
  // An NSG rule needs a source; an empty list would not mean "nobody".
  if (rule.sources.length === 0) throw new Error(`the Azure security rule "${rule.name}" has no source addresses.`);
  return rule.sources;
}

function toAzure(rules: IngressRule[]): AzureInboundRule[] {
  return [
    ...rules.map((rule) => ({
      ...azureRuleOf[rule.name],
      access: "Allow" as const,
      protocol: "Tcp" as const,
      sourceAddressPrefixes: sourcePrefixes(rule),
      destinationPortRanges: rule.ports.map(String),
      description: rule.description,
    })),
    denyVirtualNetwork,
  ];
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
  return toAzure(
    platformIngress({
      adminCidrs,
      publicPorts,
      loadBalancer: loadBalancer && { targetPorts: loadBalancer.ports, healthCheckPort: loadBalancer.healthCheckPort, keepsClientAddresses: true },
    }),
  );
}

/** Workspace servers: SSH from the admin networks, the TLS Docker API (2376) from `dockerApiSources` only. */
export function workspaceInboundRules(adminCidrs: readonly string[], dockerApiSources: readonly string[]): AzureInboundRule[] {
  return toAzure(workspaceIngress({ adminCidrs, dockerApiSources }));
}
