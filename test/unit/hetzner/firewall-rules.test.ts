import { describe, expect, it } from "vitest";
import { platformFirewallRules, workspaceFirewallRules } from "../../../components/hetzner/firewall-rules";

const admins = ["198.51.100.7/32", "2001:db8:ad::/48"];

describe("Hetzner platform firewall rules", () => {
  it("allow only SSH from the admin networks when the platform serves nothing publicly", () => {
    expect(platformFirewallRules(admins, [])).toEqual([
      { direction: "in", protocol: "tcp", port: "22", sourceIps: admins, description: "SSH from admin networks" },
    ]);
  });

  it("open 80 and 443 to the internet only when publicPorts asks for them", () => {
    const rules = platformFirewallRules(admins, [443, 80]);
    expect(rules.map((r) => r.port)).toEqual(["22", "80", "443"]);
    expect(rules.find((r) => r.port === "443")?.sourceIps).toEqual(["0.0.0.0/0", "::/0"]);
  });

  it("write a single admin address as a /32", () => {
    expect(platformFirewallRules(["198.51.100.7"], [])[0].sourceIps).toEqual(["198.51.100.7/32"]);
  });

  it.each([22, 2375, 2376])("refuse to publish port %i to the internet", (port) => {
    expect(() => platformFirewallRules(admins, [port])).toThrow(`publicPorts contains ${port}, which is never served publicly`);
  });

  it("refuse a public port outside 1-65535", () => {
    expect(() => platformFirewallRules(admins, [70000])).toThrow("a port is an integer from 1 to 65535");
  });

  it.each(["0.0.0.0/0", "::/0"])("refuse admin CIDR %s, which would open SSH to everyone", (cidr) => {
    expect(() => platformFirewallRules([cidr], [])).toThrow("opens SSH to the whole internet");
  });

  it("refuse an empty admin list", () => {
    expect(() => platformFirewallRules([], [])).toThrow("adminCidrs is empty");
  });
});

describe("Hetzner workspace firewall rules", () => {
  it("allow SSH from admins and 2376 from the Docker API sources only", () => {
    const rules = workspaceFirewallRules(admins, ["10.0.0.0/16", "203.0.113.9"]);
    expect(rules.map((r) => [r.port, r.sourceIps])).toEqual([
      ["22", admins],
      ["2376", ["10.0.0.0/16", "203.0.113.9/32"]],
    ]);
  });

  it("leave 2376 closed when no source may reach the Docker API", () => {
    expect(workspaceFirewallRules(admins, []).map((r) => r.port)).toEqual(["22"]);
  });

  it.each(["0.0.0.0/0", "::/0"])("refuse Docker API source %s", (source) => {
    expect(() => workspaceFirewallRules(admins, ["10.0.0.0/16", source])).toThrow(
      "would open the Docker API to the whole internet",
    );
  });
});
