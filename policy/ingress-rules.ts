/**
 * Every provider's inbound firewall rules, normalised to one shape, so that the port rules
 * (world-open admin ports, plain-text Docker port) are written once and hold for every provider.
 *
 * Covered: inline rules (hcloud Firewall `rules`, aws SecurityGroup `ingress`, gcp Firewall,
 * azure NetworkSecurityGroup `securityRules`, digitalocean Firewall `inboundRules`) and standalone rule
 * resources (aws ec2 SecurityGroupRule, aws vpc SecurityGroupIngressRule, azure network SecurityRule).
 *
 * Only TCP matters here: SSH (22) and the Docker API (2375/2376) are TCP services, so a UDP or ICMP rule
 * on those numbers exposes nothing. A rule for "all protocols" counts as TCP on every port.
 */
import { resourceTypes as t } from "./resource-types";

/** An inclusive TCP port range. */
export interface PortRange {
  from: number;
  to: number;
}

export interface IngressRule {
  /** Where the rule sits in the resource's inputs, for violation messages (e.g. `ingress[1]`). */
  path: string;
  /** TCP ports the rule admits; empty when it admits no TCP at all. */
  tcpPorts: PortRange[];
  /** Address sources (CIDRs, provider keywords such as Azure's `Internet`), as written. */
  sources: string[];
  /** Why the sources are what they are, when the provider implies them (e.g. GCP's default). */
  sourceNote?: string;
}

const ALL_PORTS: PortRange = { from: 0, to: 65535 };

/** The inbound rules of `props` if `type` is a firewall-like resource, else `undefined`. */
export function ingressRulesOf(type: string, props: Record<string, any>): IngressRule[] | undefined {
  switch (type) {
    case t.hcloud.firewall:
      return list(props.rules)
        .map((rule, i) => ({ rule, i }))
        .filter(({ rule }) => lower(rule.direction) === "in")
        .map(({ rule, i }) => ({
          path: `rules[${i}]`,
          tcpPorts: isTcp(rule.protocol) ? portsFromText(rule.port) : [],
          sources: list<string>(rule.sourceIps),
        }));
    case t.aws.securityGroup:
      return list(props.ingress).map((rule, i) => ({
        path: `ingress[${i}]`,
        tcpPorts: awsPorts(rule.protocol, rule.fromPort, rule.toPort),
        sources: [...list<string>(rule.cidrBlocks), ...list<string>(rule.ipv6CidrBlocks)],
      }));
    case t.aws.securityGroupRule:
      if (lower(props.type) !== "ingress") return [];
      return [
        {
          path: "(rule)",
          tcpPorts: awsPorts(props.protocol, props.fromPort, props.toPort),
          sources: [...list<string>(props.cidrBlocks), ...list<string>(props.ipv6CidrBlocks)],
        },
      ];
    case t.aws.securityGroupIngressRule:
      return [
        {
          path: "(rule)",
          tcpPorts: awsPorts(props.ipProtocol, props.fromPort, props.toPort),
          sources: [props.cidrIpv4, props.cidrIpv6].filter((s): s is string => typeof s === "string"),
        },
      ];
    case t.gcp.firewall:
      return gcpIngressRules(props);
    case t.azure.networkSecurityGroup:
      return list(props.securityRules)
        .map((rule, i) => azureRule(rule, `securityRules[${i}]${rule.name ? ` (${rule.name})` : ""}`))
        .filter((rule): rule is IngressRule => rule !== undefined);
    case t.azure.securityRule: {
      const rule = azureRule(props, "(rule)");
      return rule ? [rule] : [];
    }
    case t.digitalocean.firewall:
      return list(props.inboundRules)
        .map((rule, i) => ({ rule, i }))
        .filter(({ rule }) => lower(rule.action ?? "allow") === "allow")
        .map(({ rule, i }) => ({
          path: `inboundRules[${i}]`,
          tcpPorts: isTcp(rule.protocol) ? portsFromText(rule.portRange) : [],
          sources: list<string>(rule.sourceAddresses),
        }));
    default:
      return undefined;
  }
}

/**
 * True when a source admits the whole internet: any /0 prefix (0.0.0.0/0, ::/0) and the provider keywords
 * that mean the same (Azure `*`, `Internet`, `Any`).
 */
export function isInternetSource(source: string): boolean {
  const s = source.trim().toLowerCase();
  if (s === "*" || s === "internet" || s === "any") return true;
  return /\/0+$/.test(s);
}

export function admitsPort(rule: IngressRule, port: number): boolean {
  return rule.tcpPorts.some((range) => range.from <= port && port <= range.to);
}

function gcpIngressRules(props: Record<string, any>): IngressRule[] {
  if (lower(props.direction ?? "INGRESS") !== "ingress") return [];
  let sources = list<string>(props.sourceRanges);
  let sourceNote: string | undefined;
  // GCP applies an ingress rule without sourceRanges, sourceTags and sourceServiceAccounts to 0.0.0.0/0.
  if (sources.length === 0 && list(props.sourceTags).length === 0 && list(props.sourceServiceAccounts).length === 0) {
    sources = ["0.0.0.0/0"];
    sourceNote = "no sourceRanges/sourceTags/sourceServiceAccounts, which GCP treats as 0.0.0.0/0";
  }
  return list(props.allows).map((allow, i) => {
    const protocol = lower(allow.protocol);
    const ports = list<string | number>(allow.ports);
    let tcpPorts: PortRange[] = [];
    if (protocol === "all") tcpPorts = [ALL_PORTS];
    else if (isTcp(protocol)) tcpPorts = ports.length === 0 ? [ALL_PORTS] : ports.flatMap((p) => portsFromText(p));
    return { path: `allows[${i}]`, tcpPorts, sources, sourceNote };
  });
}

function azureRule(rule: Record<string, any>, path: string): IngressRule | undefined {
  if (lower(rule.direction) !== "inbound" || lower(rule.access) !== "allow") return undefined;
  const protocol = lower(rule.protocol);
  const portTexts = [rule.destinationPortRange, ...list(rule.destinationPortRanges)].filter((p) => p !== undefined);
  const tcpPorts = protocol === "tcp" || protocol === "*" ? portTexts.flatMap((p) => portsFromText(p)) : [];
  const sources = [rule.sourceAddressPrefix, ...list(rule.sourceAddressPrefixes)].filter(
    (s): s is string => typeof s === "string",
  );
  return { path, tcpPorts, sources };
}

/** AWS: protocol "-1"/"all" admits every port whatever fromPort/toPort say; "tcp"/"6" admits the range. */
function awsPorts(protocol: unknown, fromPort: unknown, toPort: unknown): PortRange[] {
  const p = lower(protocol);
  if (p === "-1" || p === "all") return [ALL_PORTS];
  if (!isTcp(p)) return [];
  const from = Number(fromPort ?? 0);
  const to = Number(toPort ?? from);
  if (!Number.isFinite(from) || !Number.isFinite(to)) return [ALL_PORTS];
  return [{ from, to }];
}

/**
 * "22", "80-85", 22 -> ranges; "any", "all", "*" or nothing -> every port. Text that cannot be read counts
 * as every port, so a typo fails closed (reported) rather than open (silently passed).
 */
function portsFromText(text: unknown): PortRange[] {
  if (text === undefined || text === null) return [ALL_PORTS];
  const s = String(text).trim().toLowerCase();
  if (s === "" || s === "any" || s === "all" || s === "*") return [ALL_PORTS];
  const match = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(s);
  if (!match) return [ALL_PORTS];
  const from = Number(match[1]);
  return [{ from, to: match[2] === undefined ? from : Number(match[2]) }];
}

function isTcp(protocol: unknown): boolean {
  const p = lower(protocol);
  return p === "tcp" || p === "6";
}

function lower(value: unknown): string {
  return typeof value === "string" ? value.toLowerCase() : value === undefined || value === null ? "" : String(value);
}

function list<T = any>(value: unknown): T[] {
  return Array.isArray(value) ? (value as T[]) : [];
}
