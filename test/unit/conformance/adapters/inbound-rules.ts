/**
 * The inbound rules of one firewall-like resource in a mocked graph, in the provider-neutral {@link ViewRule}
 * shape. The one rule reader of the tests: the conformance adapters apply it to the firewalls attached to each
 * server, the whole-program tests (test/unit/stack) to every resource of the graph.
 *
 * Deliberately stricter than the policy pack's normaliser (policy/ingress-rules.ts): UDP ranges count as the
 * ports they name, other protocols (ICMP, ...) as every port, and a DigitalOcean rule fed by a load balancer
 * names `load-balancer` as a source, so a test notices any rule that touches a port it guards.
 */
import type { RecordedResource } from "../../../support/pulumi-mocks";
import { WORLD, type ViewRule } from "./fleet-view";

/** "22", "8000-8100", undefined/"*"/"any" (every port) -> [from, to]. */
function portRange(port: unknown): [number, number] {
  if (port === undefined || port === null || port === "" || port === "*" || port === "any") return [0, 65535];
  const [from, to = from] = String(port).split("-");
  return [Number(from), Number(to)];
}

/** Normalises a source: the whole internet becomes {@link WORLD}. */
function source(s: string): string {
  return ["0.0.0.0/0", "::/0", "*", "Internet", "any"].includes(s) ? WORLD : s;
}

/** tcp/udp name their ports; any other protocol is counted as every port. */
const portsOf = (protocol: string, port: unknown): [number, number] =>
  protocol === "tcp" || protocol === "udp" ? portRange(port) : [0, 65535];

/** One value or a list of them (Azure's `x` / `xs` pairs) -> a list. */
const oneOrMany = (many: unknown, one: unknown): string[] => (Array.isArray(many) ? many : one !== undefined ? [one] : []).map(String);

const readers: Record<string, (r: RecordedResource) => ViewRule[]> = {
  "hcloud:index/firewall:Firewall": (fw) =>
    (fw.inputs.rules ?? [])
      .filter((r: any) => r.direction === "in")
      .map((r: any) => {
        const [fromPort, toPort] = portsOf(r.protocol, r.port);
        return { access: "allow", fromPort, toPort, sources: (r.sourceIps ?? []).map(source), origin: fw.name };
      }),
  "aws:ec2/securityGroup:SecurityGroup": (sg) =>
    (sg.inputs.ingress ?? []).map((r: any) => {
      const all = r.protocol === "-1" || r.protocol === "all";
      return {
        access: "allow",
        fromPort: all ? 0 : r.fromPort,
        toPort: all ? 65535 : r.toPort,
        sources: [...(r.cidrBlocks ?? []), ...(r.ipv6CidrBlocks ?? [])].map(source),
        origin: sg.name,
      };
    }),
  "gcp:compute/firewall:Firewall": (fw) =>
    (fw.inputs.direction ?? "INGRESS") !== "INGRESS"
      ? []
      : [
          ...(fw.inputs.allows ?? []).map((rule: any) => ["allow", rule] as const),
          ...(fw.inputs.denies ?? []).map((rule: any) => ["deny", rule] as const),
        ].flatMap(([access, rule]) =>
          (rule.ports?.length ? rule.ports : [undefined]).map((p: unknown) => {
            const [fromPort, toPort] = portsOf(rule.protocol, p);
            return { access, fromPort, toPort, sources: (fw.inputs.sourceRanges ?? ["0.0.0.0/0"]).map(source), origin: fw.name };
          }),
        ),
  "azure-native:network:NetworkSecurityGroup": (nsg) =>
    (nsg.inputs.securityRules ?? [])
      .filter((r: any) => r.direction === "Inbound")
      .flatMap((r: any) =>
        oneOrMany(r.destinationPortRanges, r.destinationPortRange).map((ports) => {
          const [fromPort, toPort] = r.protocol === "Tcp" || r.protocol === "*" ? portRange(ports) : [0, 65535];
          return {
            access: r.access === "Deny" ? "deny" : "allow",
            fromPort,
            toPort,
            sources: oneOrMany(r.sourceAddressPrefixes, r.sourceAddressPrefix).map(source),
            origin: `${nsg.name}/${r.name}`,
          };
        }),
      ),
  "digitalocean:index/firewall:Firewall": (fw) =>
    (fw.inputs.inboundRules ?? []).map((r: any) => {
      const [fromPort, toPort] = portsOf(r.protocol, r.portRange);
      const sources = [...(r.sourceAddresses ?? []).map(source), ...(r.sourceLoadBalancerUids?.length ? ["load-balancer"] : [])];
      return { access: "allow", fromPort, toPort, sources, origin: fw.name };
    }),
};

/** The inbound rules `resource` declares if it is a firewall-like resource, else none. */
export function inboundRulesOf(resource: RecordedResource): ViewRule[] {
  return readers[resource.type]?.(resource) ?? [];
}

/** True when `rule` lets traffic in on `port` (deny rules only close, so they never cover a port). */
export function coversPort(rule: ViewRule, port: number): boolean {
  return rule.access === "allow" && rule.fromPort <= port && port <= rule.toPort;
}
