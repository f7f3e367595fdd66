/**
 * One builder per firewall-like resource (inline rules and standalone rule resources, every provider):
 * `allowTcp(port, sources)` returns the resource's type and inputs admitting TCP `port` from `sources`,
 * written the way that provider's SDK expects them.
 */
import { resourceTypes as t } from "../../../policy/resource-types";

export interface FirewallFixture {
  /** Provider and resource, for test names. */
  label: string;
  allowTcp(port: number, sources: string[]): { type: string; props: Record<string, any> };
}

const v4 = (sources: string[]) => sources.filter((s) => !s.includes(":"));
const v6 = (sources: string[]) => sources.filter((s) => s.includes(":"));

export const firewallFixtures: FirewallFixture[] = [
  {
    label: "hcloud Firewall rules",
    allowTcp: (port, sources) => ({
      type: t.hcloud.firewall,
      props: { rules: [{ direction: "in", protocol: "tcp", port: String(port), sourceIps: sources }] },
    }),
  },
  {
    label: "aws SecurityGroup ingress",
    allowTcp: (port, sources) => ({
      type: t.aws.securityGroup,
      props: {
        ingress: [{ protocol: "tcp", fromPort: port, toPort: port, cidrBlocks: v4(sources), ipv6CidrBlocks: v6(sources) }],
      },
    }),
  },
  {
    label: "aws ec2 SecurityGroupRule (standalone)",
    allowTcp: (port, sources) => ({
      type: t.aws.securityGroupRule,
      props: { type: "ingress", protocol: "tcp", fromPort: port, toPort: port, cidrBlocks: v4(sources), ipv6CidrBlocks: v6(sources), securityGroupId: "sg-1" },
    }),
  },
  {
    label: "aws vpc SecurityGroupIngressRule (standalone)",
    allowTcp: (port, sources) => ({
      type: t.aws.securityGroupIngressRule,
      // One CIDR per resource in this API: take the first address family present.
      props: { ipProtocol: "tcp", fromPort: port, toPort: port, cidrIpv4: v4(sources)[0], cidrIpv6: v4(sources).length ? undefined : v6(sources)[0], securityGroupId: "sg-1" },
    }),
  },
  {
    label: "gcp Firewall",
    allowTcp: (port, sources) => ({
      type: t.gcp.firewall,
      props: { network: "net", direction: "INGRESS", allows: [{ protocol: "tcp", ports: [String(port)] }], sourceRanges: sources },
    }),
  },
  {
    label: "azure NetworkSecurityGroup securityRules",
    allowTcp: (port, sources) => ({
      type: t.azure.networkSecurityGroup,
      props: {
        resourceGroupName: "rg",
        securityRules: [
          { name: "rule", priority: 100, direction: "Inbound", access: "Allow", protocol: "Tcp", sourcePortRange: "*", destinationPortRange: String(port), sourceAddressPrefixes: sources, destinationAddressPrefix: "*" },
        ],
      },
    }),
  },
  {
    label: "azure network SecurityRule (standalone)",
    allowTcp: (port, sources) => ({
      type: t.azure.securityRule,
      props: { resourceGroupName: "rg", networkSecurityGroupName: "nsg", priority: 100, direction: "Inbound", access: "Allow", protocol: "Tcp", sourcePortRange: "*", destinationPortRange: String(port), sourceAddressPrefixes: sources, destinationAddressPrefix: "*" },
    }),
  },
  {
    label: "digitalocean Firewall inboundRules",
    allowTcp: (port, sources) => ({
      type: t.digitalocean.firewall,
      props: { inboundRules: [{ protocol: "tcp", portRange: String(port), sourceAddresses: sources }] },
    }),
  },
];
