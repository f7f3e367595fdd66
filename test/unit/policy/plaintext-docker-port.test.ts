import { describe, expect, it } from "vitest";
import { resourceTypes as t } from "../../../policy/resource-types";
import { noPlaintextDockerPort } from "../../../policy/rules/plaintext-docker-port";
import { firewallFixtures } from "./firewall-fixtures";
import { violationsOf } from "./validate";

describe.each(firewallFixtures)("no-plaintext-docker-port on $label", (fixture) => {
  it("passes the TLS Docker port 2376 from the private range", async () => {
    const { type, props } = fixture.allowTcp(2376, ["10.0.0.0/16"]);
    expect(await violationsOf(noPlaintextDockerPort, type, props)).toEqual([]);
  });

  it("reports 2375 even from the private range", async () => {
    const { type, props } = fixture.allowTcp(2375, ["10.0.0.0/16"]);
    const violations = await violationsOf(noPlaintextDockerPort, type, props, "ws-firewall");
    expect(violations).toEqual([expect.stringContaining("admits TCP port 2375")]);
    expect(violations[0]).toContain("10.0.0.0/16");
  });
});

describe("no-plaintext-docker-port on ranges and peer-only rules", () => {
  it("reports a range that includes 2375 and passes one that starts at 2376", async () => {
    const props = {
      rules: [
        { direction: "in", protocol: "tcp", port: "2370-2380", sourceIps: ["10.0.0.0/16"] },
        { direction: "in", protocol: "tcp", port: "2376-2377", sourceIps: ["10.0.0.0/16"] },
      ],
    };
    const violations = await violationsOf(noPlaintextDockerPort, t.hcloud.firewall, props);
    expect(violations).toEqual([expect.stringContaining("rules[0]")]);
  });

  it("reports an AWS all-traffic rule between security-group peers", async () => {
    const props = { ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, self: true }] };
    expect(await violationsOf(noPlaintextDockerPort, t.aws.securityGroup, props)).toEqual([
      expect.stringContaining("from its peers"),
    ]);
  });

  it("reports a GCP tcp rule without ports (all ports) from a source tag", async () => {
    const props = { network: "net", allows: [{ protocol: "tcp" }], sourceTags: ["platform"] };
    expect(await violationsOf(noPlaintextDockerPort, t.gcp.firewall, props)).toHaveLength(1);
  });

  it("reports an Azure rule listing 2375 among destinationPortRanges", async () => {
    const props = { direction: "Inbound", access: "Allow", protocol: "Tcp", destinationPortRanges: ["22", "2375"], sourceAddressPrefix: "VirtualNetwork" };
    expect(await violationsOf(noPlaintextDockerPort, t.azure.securityRule, props)).toHaveLength(1);
  });
});
