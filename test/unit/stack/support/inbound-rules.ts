/**
 * Provider-neutral view of every inbound firewall rule in a mocked resource graph, so security
 * invariants ("nothing opens SSH or Docker to the internet") are written once for every cloud.
 * Hetzner first; AWS security groups (inline and standalone rules) and GCP firewalls as well.
 */
import type { RecordedResource } from "../../../support/pulumi-mocks";

export interface InboundRule {
  /** Resource name and type the rule came from. */
  resource: string;
  type: string;
  protocol: string;
  fromPort: number;
  toPort: number;
  sources: string[];
}

const WORLD = ["0.0.0.0/0", "::/0"];

/** "22", "8000-8100", "any"/undefined (all ports) -> [from, to]. */
function portRange(port: unknown): [number, number] {
  if (port === undefined || port === null || port === "" || port === "any") return [0, 65535];
  const text = String(port);
  const [from, to = from] = text.split("-");
  return [Number(from), Number(to)];
}

const extractors: Record<string, (r: RecordedResource) => Omit<InboundRule, "resource" | "type">[]> = {
  "hcloud:index/firewall:Firewall": (r) =>
    (r.inputs.rules ?? [])
      .filter((rule: any) => rule.direction === "in")
      .map((rule: any) => {
        const [fromPort, toPort] = rule.protocol === "tcp" || rule.protocol === "udp" ? portRange(rule.port) : [0, 65535];
        return { protocol: rule.protocol, fromPort, toPort, sources: rule.sourceIps ?? [] };
      }),
  "aws:ec2/securityGroup:SecurityGroup": (r) =>
    (r.inputs.ingress ?? []).map((rule: any) => awsRule(rule.protocol, rule.fromPort, rule.toPort, [...(rule.cidrBlocks ?? []), ...(rule.ipv6CidrBlocks ?? [])])),
  "aws:ec2/securityGroupRule:SecurityGroupRule": (r) =>
    r.inputs.type === "ingress" ? [awsRule(r.inputs.protocol, r.inputs.fromPort, r.inputs.toPort, [...(r.inputs.cidrBlocks ?? []), ...(r.inputs.ipv6CidrBlocks ?? [])])] : [],
  "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (r) =>
    [awsRule(r.inputs.ipProtocol, r.inputs.fromPort, r.inputs.toPort, [r.inputs.cidrIpv4, r.inputs.cidrIpv6].filter(Boolean))],
  "gcp:compute/firewall:Firewall": (r) =>
    (r.inputs.direction ?? "INGRESS") !== "INGRESS"
      ? []
      : (r.inputs.allows ?? []).flatMap((allow: any) =>
          (allow.ports?.length ? allow.ports : [undefined]).map((p: unknown) => {
            const [fromPort, toPort] = portRange(p);
            return { protocol: allow.protocol, fromPort, toPort, sources: r.inputs.sourceRanges ?? [] };
          }),
        ),
};

function awsRule(protocol: string, fromPort: number, toPort: number, sources: string[]) {
  const all = protocol === "-1" || protocol === "all";
  return { protocol: all ? "all" : protocol, fromPort: all ? 0 : fromPort, toPort: all ? 65535 : toPort, sources };
}

export function inboundRules(resources: RecordedResource[]): InboundRule[] {
  return resources.flatMap((r) => (extractors[r.type]?.(r) ?? []).map((rule) => ({ resource: r.name, type: r.type, ...rule })));
}

/** Resource types this helper understands (a graph with firewalls of other types is a gap to fill). */
export const firewallTypes = Object.keys(extractors);

export function coversPort(rule: InboundRule, port: number): boolean {
  return rule.fromPort <= port && port <= rule.toPort && rule.protocol !== "icmp";
}

export function isWorldOpen(rule: InboundRule): boolean {
  return rule.sources.some((s) => WORLD.includes(s));
}
