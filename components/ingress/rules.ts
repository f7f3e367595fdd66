/**
 * The firewall intent of a sandfleet fleet, provider-neutral: which TCP ports of the platform and of a
 * workspace pool admit which sources. Every provider turns these rules into its own resource shape
 * (hcloud firewall rules, security-group ingress, GCP firewalls by target tag, Azure NSG rules with
 * priorities, DigitalOcean inbound rules) and adds only what its cloud needs on top (an explicit VNet
 * deny, a load balancer id, health-checker ranges). Each list is complete: what a rule does not admit,
 * the cloud's default deny drops.
 */
import { checkAdminCidrs, checkDockerApiSources, checkLoadBalancerSources, checkServedPort } from "./checks";
import { toCidrs, WHOLE_INTERNET } from "./cidr";
import { DOCKER_TLS_PORT, SSH_PORT } from "./ports";

/**
 * Who a rule admits. Providers that name a peer their own way map it from here: Azure's `Internet` and
 * `AzureLoadBalancer` service tags, DigitalOcean's load balancer uid.
 */
export type IngressPeer = "admins" | "internet" | "platform" | "load-balancer" | "health-checks";

/** Stable rule names: providers derive resource and rule names from them. */
export type IngressRuleName = "ssh" | "public" | "load-balancer" | "health" | "docker";

/** One inbound TCP rule. */
export interface IngressRule {
  name: IngressRuleName;
  /** TCP ports, ascending, each once. */
  ports: number[];
  from: IngressPeer;
  /**
   * CIDRs, each once (a single address as /32 or /128). `internet` rules list both families
   * (`0.0.0.0/0`, `::/0`). Empty only for a `load-balancer` or `health-checks` rule whose peer the
   * provider names itself; a provider must never map an empty list to "anywhere".
   */
  sources: string[];
  description: string;
}

/** How the platform's load balancer reaches it, as far as the provider's firewall must know. */
export interface LoadBalancerIngress {
  /** Platform ports the load balancer forwards to (its targets). */
  targetPorts: readonly number[];
  /** Platform port its health check probes. */
  healthCheckPort: number;
  /**
   * True when the load balancer passes client addresses through (GCP's passthrough network load
   * balancer, Azure's Standard load balancer): its target ports then admit the internet like
   * publicPorts, and the health-check port admits the health checkers (rule `health`). False when it
   * connects from its own address (an AWS NLB without client IP preservation, DigitalOcean): target and
   * health-check ports admit the load balancer only (rule `load-balancer`).
   */
  keepsClientAddresses: boolean;
  /** keepsClientAddresses false: the load balancer's own CIDRs (AWS: its subnet). @default [] (the provider names it, e.g. by id) */
  sources?: readonly string[];
  /** keepsClientAddresses true: the health checkers' CIDRs (GCP's ranges). @default [] (the provider names them, e.g. a service tag) */
  healthCheckSources?: readonly string[];
}

export interface PlatformIngressOptions {
  /** Where SSH may come from: never empty, never a /0. */
  adminCidrs: readonly string[];
  /** Ports the platform serves to the whole internet itself (80/443); never 22, 2375 or 2376. */
  publicPorts: readonly number[];
  /** The load balancer in front of the platform, when there is one and the cloud's firewall sees its traffic. @default none */
  loadBalancer?: LoadBalancerIngress;
}

export interface WorkspaceIngressOptions {
  /** Where SSH may come from: never empty, never a /0. */
  adminCidrs: readonly string[];
  /** Where the Docker API (2376) may come from: the platform's private range or public /32; never a /0. Empty: 2376 stays closed. */
  dockerApiSources: readonly string[];
}

const ascending = (ports: Iterable<number>): number[] => [...new Set(ports)].sort((a, b) => a - b);

function sshRule(adminCidrs: readonly string[]): IngressRule {
  checkAdminCidrs(adminCidrs);
  return { name: "ssh", ports: [SSH_PORT], from: "admins", sources: toCidrs(adminCidrs), description: "SSH from admin networks" };
}

/**
 * The platform server's inbound rules: SSH from the admin networks, publicPorts from the whole internet,
 * and what its load balancer needs (see {@link LoadBalancerIngress}). Nothing else.
 */
export function platformIngress(options: PlatformIngressOptions): IngressRule[] {
  const rules = [sshRule(options.adminCidrs)];
  const lb = options.loadBalancer;
  options.publicPorts.forEach((port) => checkServedPort(port, "publicPorts"));
  lb?.targetPorts.forEach((port) => checkServedPort(port, "loadBalancer.ports"));
  if (lb) checkServedPort(lb.healthCheckPort, "loadBalancer.healthCheckPort");

  const fromInternet = ascending([...options.publicPorts, ...(lb?.keepsClientAddresses ? lb.targetPorts : [])]);
  if (fromInternet.length > 0) {
    rules.push({ name: "public", ports: fromInternet, from: "internet", sources: [...WHOLE_INTERNET], description: "ports the platform serves" });
  }
  if (lb?.keepsClientAddresses) {
    const sources = lb.healthCheckSources ?? [];
    checkLoadBalancerSources(sources, "loadBalancer healthCheckSources");
    rules.push({ name: "health", ports: [lb.healthCheckPort], from: "health-checks", sources: toCidrs(sources), description: "load balancer health checks" });
  } else if (lb) {
    const sources = lb.sources ?? [];
    checkLoadBalancerSources(sources, "loadBalancer sources");
    rules.push({
      name: "load-balancer",
      ports: ascending([...lb.targetPorts, lb.healthCheckPort]),
      from: "load-balancer",
      sources: toCidrs(sources),
      description: "traffic and health checks from the load balancer",
    });
  }
  return rules;
}

/**
 * A workspace pool's inbound rules: SSH from the admin networks and the TLS Docker API (2376) from
 * dockerApiSources only. Nothing else; with no sources 2376 stays closed (cloud-init refuses such a
 * workspace anyway, so this only happens to a pool that is being emptied).
 */
export function workspaceIngress(options: WorkspaceIngressOptions): IngressRule[] {
  checkDockerApiSources(options.dockerApiSources);
  const rules = [sshRule(options.adminCidrs)];
  if (options.dockerApiSources.length > 0) {
    rules.push({
      name: "docker",
      ports: [DOCKER_TLS_PORT],
      from: "platform",
      sources: toCidrs(options.dockerApiSources),
      description: "Docker API (mutual TLS) from the platform",
    });
  }
  return rules;
}

/**
 * The description of one port of `rule`, for providers whose rule objects hold a single port (hcloud,
 * AWS ingress, DigitalOcean): it names the port where a rule may admit several.
 */
export function describePort(rule: IngressRule, port: number): string {
  if (rule.from === "internet") return `public port ${port}`;
  if (rule.from === "load-balancer") return `port ${port} from the load balancer`;
  return rule.description;
}
