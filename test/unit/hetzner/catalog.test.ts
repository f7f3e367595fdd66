import { describe, expect, it } from "vitest";
import { defaultLoadBalancerIp, isUsableHostIn } from "../../../components/hetzner/cidr";
import { toCidr } from "../../../components/ingress";
import { hetznerConfigSchema } from "../../../components/hetzner/config";
import { hetznerLabels, sanitizeLabelKey, sanitizeLabelValue } from "../../../components/hetzner/labels";
import { networkZoneOf } from "../../../components/hetzner/locations";
import { assertHostname, hetznerName } from "../../../components/hetzner/names";
import { capacityOf } from "../../../components/hetzner/server-types";
import { maxServersPerSpreadGroup, spreadGroupIndexes } from "../../../components/hetzner/workspace-pool";

const hcloudLabelValue = /^(([a-z0-9A-Z][-a-z0-9_.A-Z]*)?[a-z0-9A-Z])?$/;

describe("Hetzner locations", () => {
  it.each([
    ["fsn1", "eu-central"],
    ["nbg1", "eu-central"],
    ["hel1", "eu-central"],
    ["ash", "us-east"],
    ["hil", "us-west"],
    ["sin", "ap-southeast"],
  ])("put %s in network zone %s", (location, zone) => {
    expect(networkZoneOf(location)).toBe(zone);
  });

  it("reject an unknown location with the list of valid ones", () => {
    expect(() => networkZoneOf("fra1")).toThrow(
      'Hetzner location "fra1" is not a known location. Use one of: fsn1 (eu-central), nbg1 (eu-central), hel1 (eu-central), ash (us-east), hil (us-west), sin (ap-southeast).',
    );
  });
});

describe("Hetzner server types", () => {
  it("report the hardware of current types", () => {
    expect(capacityOf("cx23")).toEqual({ cpus: 2, memoryMb: 4096, diskGb: 40 });
    expect(capacityOf("cx53")).toEqual({ cpus: 16, memoryMb: 32768, diskGb: 320 });
    expect(capacityOf("cpx62")).toEqual({ cpus: 16, memoryMb: 32768, diskGb: 640 });
    expect(capacityOf("cax41")).toEqual({ cpus: 16, memoryMb: 32768, diskGb: 320 });
    expect(capacityOf("ccx63")).toEqual({ cpus: 48, memoryMb: 196608, diskGb: 960 });
  });

  it.each([
    ["cx22", "cx23"],
    ["cx32", "cx33"],
    ["cx42", "cx43"],
    ["cx52", "cx53"],
  ])("refuse the retired %s, naming its successor %s", (retired, successor) => {
    expect(() => capacityOf(retired)).toThrow(new RegExp(`"${retired}" can no longer be ordered .*Use its successor ${successor} \\(`));
  });

  it("refuse a type where Hetzner does not sell it, naming where it is sold and what to use instead", () => {
    expect(() => capacityOf("cx33", {}, "ash")).toThrow('Hetzner server type "cx33" cannot be ordered in ash; it is sold in fsn1, nbg1, hel1.');
    expect(() => capacityOf("cpx31", {}, "fsn1")).toThrow(/"cpx31" cannot be ordered in fsn1; it is sold in ash, hil\. .*use cpx32 \(4 vCPU, 8 GB, 160 GB disk, x86\)/);
    expect(capacityOf("cpx31", {}, "ash")).toEqual({ cpus: 4, memoryMb: 8192, diskGb: 160 });
    expect(capacityOf("ccx13", {}, "sin").cpus).toBe(2);
  });

  it("reject an unknown type, listing the known ones and how to declare one", () => {
    expect(() => capacityOf("cx99")).toThrow(/Hetzner server type "cx99" is not known\. Use one of: .*cax11.*ccx13.*cpx12.*cx23.*extraServerTypes/);
  });

  it("accept a type declared in extraServerTypes, in any location", () => {
    expect(capacityOf("cx99", { cx99: { cpus: 64, memoryMb: 262144, diskGb: 1000 } }, "sin").cpus).toBe(64);
  });
});

describe("Hetzner labels", () => {
  it("replace characters Hetzner refuses and trim to valid edges", () => {
    expect(sanitizeLabelValue("Team A / GPU!")).toBe("Team-A---GPU");
    expect(sanitizeLabelValue("-x-")).toBe("x");
    expect(sanitizeLabelValue("a".repeat(80))).toHaveLength(63);
  });

  it("keep a DNS prefix in keys", () => {
    expect(sanitizeLabelKey("sandfleet.dev/Tier Name")).toBe("sandfleet.dev/Tier-Name");
  });

  it("produce only values that match Hetzner's label rule", () => {
    const labels = hetznerLabels({ owner: "ops@example.com", "cost center": "R&D (EU)", empty: "" }, { pool: undefined });
    for (const value of Object.values(labels)) expect(value).toMatch(hcloudLabelValue);
    expect(labels).toEqual({ owner: "ops-example.com", "cost-center": "R-D--EU", empty: "" });
  });
});

describe("Hetzner names", () => {
  it("join parts into a hostname", () => {
    expect(hetznerName("sandfleet-dev", "ws-standard-1")).toBe("sandfleet-dev-ws-standard-1");
  });

  it("shorten long names to 63 characters and keep them distinct", () => {
    const a = hetznerName("f".repeat(60), "ws-standard-1");
    const b = hetznerName("f".repeat(60), "ws-standard-2");
    expect(a).toHaveLength(63);
    expect(a).not.toBe(b);
    expect(() => assertHostname(a, "name")).not.toThrow();
  });

  it("reject a server name that is not a hostname", () => {
    expect(() => assertHostname("WS_1", "server name")).toThrow('server name "WS_1" is not a valid server name');
  });
});

describe("Hetzner address helpers", () => {
  it("treat network, gateway and broadcast addresses as unusable", () => {
    expect(isUsableHostIn("10.0.0.0", "10.0.0.0/16")).toBe(false);
    expect(isUsableHostIn("10.0.0.1", "10.0.0.0/16")).toBe(false);
    expect(isUsableHostIn("10.0.255.255", "10.0.0.0/16")).toBe(false);
    expect(isUsableHostIn("10.0.0.10", "10.0.0.0/16")).toBe(true);
    expect(isUsableHostIn("10.1.0.10", "10.0.0.0/16")).toBe(false);
  });

  it("place the load balancer at offset 250 of the platform's block", () => {
    expect(defaultLoadBalancerIp("10.0.0.0/16")).toBe("10.0.0.250");
    expect(defaultLoadBalancerIp("172.20.8.0/22")).toBe("172.20.8.250");
  });

  it("add the single-address prefix to firewall sources", () => {
    expect(toCidr("2001:db8::1")).toBe("2001:db8::1/128");
    expect(toCidr("10.0.0.0/16")).toBe("10.0.0.0/16");
  });
});

describe("Hetzner spread placement", () => {
  it("fill groups of at most 10 servers in order", () => {
    const groups = spreadGroupIndexes(23);
    expect(groups.slice(0, 10).every((g) => g === 0)).toBe(true);
    expect(groups.filter((g) => g === 1)).toHaveLength(maxServersPerSpreadGroup);
    expect(groups.filter((g) => g === 2)).toHaveLength(3);
  });

  it("never move an existing server when the pool grows", () => {
    expect(spreadGroupIndexes(31).slice(0, 12)).toEqual(spreadGroupIndexes(12));
  });
});

describe("the sandfleet:hetzner config", () => {
  it("defaults to Debian 13, lb11 and root", () => {
    expect(hetznerConfigSchema.parse({})).toEqual({
      image: "debian-13",
      loadBalancerType: "lb11",
      sshUser: "root",
      existingSshKeys: [],
      publicIpv6: true,
      extraServerTypes: {},
    });
  });

  it("rejects unknown keys and unknown network zones", () => {
    expect(hetznerConfigSchema.safeParse({ imgae: "debian-12" }).success).toBe(false);
    expect(hetznerConfigSchema.safeParse({ networkZone: "eu-west" }).success).toBe(false);
  });
});
