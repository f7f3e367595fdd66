import { describe, expect, it } from "vitest";
import { resourceTypes as t } from "../../../policy/resource-types";
import { noWorldOpenAdminPorts, restrictedPorts } from "../../../policy/rules/world-open-ports";
import { firewallFixtures } from "./firewall-fixtures";
import { violationsOf } from "./validate";

const ADMIN_CIDR = "198.51.100.0/24";
const PRIVATE_RANGE = "10.0.0.0/16";

describe.each(firewallFixtures)("no-world-open-admin-ports on $label", (fixture) => {
  it("passes SSH from an admin CIDR and the Docker API from the private range", async () => {
    for (const [port, source] of [[22, ADMIN_CIDR], [2376, PRIVATE_RANGE]] as const) {
      const { type, props } = fixture.allowTcp(port, [source]);
      expect(await violationsOf(noWorldOpenAdminPorts, type, props)).toEqual([]);
    }
  });

  it.each(restrictedPorts.map((port) => ({ port })))("reports TCP $port open to 0.0.0.0/0", async ({ port }) => {
    const { type, props } = fixture.allowTcp(port, ["0.0.0.0/0"]);
    const violations = await violationsOf(noWorldOpenAdminPorts, type, props, "ws-firewall");
    expect(violations).toHaveLength(1);
    expect(violations[0]).toContain(`TCP port ${port} to 0.0.0.0/0`);
    expect(violations[0]).toContain("ws-firewall");
  });

  it("reports SSH open to ::/0", async () => {
    const { type, props } = fixture.allowTcp(22, ["::/0"]);
    expect(await violationsOf(noWorldOpenAdminPorts, type, props)).toEqual([expect.stringContaining("to ::/0")]);
  });

  it("passes the web ports open to the world", async () => {
    const { type, props } = fixture.allowTcp(443, ["0.0.0.0/0", "::/0"]);
    expect(await violationsOf(noWorldOpenAdminPorts, type, props)).toEqual([]);
  });
});

describe("no-world-open-admin-ports on port ranges, protocols and provider defaults", () => {
  it("reports an hcloud range that covers 22 and an 'any' port rule", async () => {
    const props = {
      rules: [
        { direction: "in", protocol: "tcp", port: "20-30", sourceIps: ["0.0.0.0/0"] },
        { direction: "in", protocol: "tcp", port: "any", sourceIps: ["::/0"] },
      ],
    };
    const violations = await violationsOf(noWorldOpenAdminPorts, t.hcloud.firewall, props);
    expect(violations.filter((v) => v.includes("rules[0]"))).toHaveLength(1);
    expect(violations.filter((v) => v.includes("rules[1]"))).toHaveLength(3);
  });

  it("ignores hcloud outbound rules and UDP rules", async () => {
    const props = {
      rules: [
        { direction: "out", protocol: "tcp", port: "22", destinationIps: ["0.0.0.0/0"] },
        { direction: "in", protocol: "udp", port: "22", sourceIps: ["0.0.0.0/0"] },
      ],
    };
    expect(await violationsOf(noWorldOpenAdminPorts, t.hcloud.firewall, props)).toEqual([]);
  });

  it("reports an AWS all-protocols rule (-1) whatever its port numbers say", async () => {
    const props = { ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] };
    expect(await violationsOf(noWorldOpenAdminPorts, t.aws.securityGroup, props)).toHaveLength(3);
  });

  it("ignores AWS egress rules given as standalone SecurityGroupRule", async () => {
    const props = { type: "egress", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] };
    expect(await violationsOf(noWorldOpenAdminPorts, t.aws.securityGroupRule, props)).toEqual([]);
  });

  it("reports a GCP ingress rule without any source, which GCP applies to 0.0.0.0/0", async () => {
    const props = { network: "net", allows: [{ protocol: "tcp", ports: ["22"] }] };
    const violations = await violationsOf(noWorldOpenAdminPorts, t.gcp.firewall, props);
    expect(violations).toEqual([expect.stringContaining("GCP treats as 0.0.0.0/0")]);
  });

  it("passes a GCP rule scoped by source tags and a GCP egress rule", async () => {
    const tagged = { network: "net", allows: [{ protocol: "tcp", ports: ["2376"] }], sourceTags: ["platform"] };
    const egress = { network: "net", direction: "EGRESS", allows: [{ protocol: "tcp", ports: ["22"] }], destinationRanges: ["0.0.0.0/0"] };
    expect(await violationsOf(noWorldOpenAdminPorts, t.gcp.firewall, tagged)).toEqual([]);
    expect(await violationsOf(noWorldOpenAdminPorts, t.gcp.firewall, egress)).toEqual([]);
  });

  it("reports Azure rules whose source is the Internet tag or '*', and skips Deny rules", async () => {
    const rule = { direction: "Inbound", access: "Allow", protocol: "*", destinationPortRange: "22" };
    const props = {
      securityRules: [
        { ...rule, name: "internet", sourceAddressPrefix: "Internet" },
        { ...rule, name: "star", sourceAddressPrefix: "*" },
        { ...rule, name: "deny", access: "Deny", sourceAddressPrefix: "*" },
      ],
    };
    const violations = await violationsOf(noWorldOpenAdminPorts, t.azure.networkSecurityGroup, props);
    expect(violations).toHaveLength(2);
    expect(violations.join("\n")).not.toContain("(deny)");
  });

  it("reports a DigitalOcean all-ports rule and passes an explicit deny", async () => {
    const open = { inboundRules: [{ protocol: "tcp", portRange: "1-65535", sourceAddresses: ["0.0.0.0/0"] }] };
    const deny = { inboundRules: [{ action: "deny", protocol: "tcp", portRange: "22", sourceAddresses: ["0.0.0.0/0"] }] };
    expect(await violationsOf(noWorldOpenAdminPorts, t.digitalocean.firewall, open)).toHaveLength(3);
    expect(await violationsOf(noWorldOpenAdminPorts, t.digitalocean.firewall, deny)).toEqual([]);
  });

  it("ignores resources that are not firewalls", async () => {
    expect(await violationsOf(noWorldOpenAdminPorts, "random:index/randomPassword:RandomPassword", { length: 16 })).toEqual([]);
  });
});
