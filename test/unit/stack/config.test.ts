import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { parseStackConfig, stackConfigWarnings, StackConfigError } from "../../../stacks/config";
import { defaultAddressBlock } from "../../../components/fleet/address-plan";
import { repoRoot, stackFileConfig } from "./support/run-program";

const base = (): Record<string, unknown> => ({
  "sandfleet:provider": "hetzner",
  "sandfleet:location": "fsn1",
  "sandfleet:adminCidrs": ["198.51.100.0/24"],
  "sandfleet:platform": { serverType: "cx23" },
  "sandfleet:pools": { standard: { count: 2, serverType: "cx33", maxContainers: 10 } },
  "hcloud:token": "ignored: other namespaces are not ours",
});

const parse = (raw: Record<string, unknown>) => parseStackConfig(raw, "test");

/** Asserts that `raw` is rejected with a message containing every fragment. */
function expectRejected(raw: Record<string, unknown>, ...fragments: string[]) {
  let error: unknown;
  try {
    parse(raw);
  } catch (err) {
    error = err;
  }
  expect(error).toBeInstanceOf(StackConfigError);
  for (const fragment of fragments) expect((error as Error).message).toContain(fragment);
}

const withKey = (key: string, value: unknown) => ({ ...base(), [`sandfleet:${key}`]: value });
const withPool = (pool: Record<string, unknown>, name = "standard") => withKey("pools", { [name]: { count: 2, serverType: "cx33", maxContainers: 10, ...pool } });
const withPlatform = (platform: Record<string, unknown>) => withKey("platform", { serverType: "cx23", ...platform });

describe("the stack config", () => {
  it("accepts the shipped dev and prod stack files", () => {
    const dev = parseStackConfig(stackFileConfig("Pulumi.dev.yaml"), "dev");
    const prod = parseStackConfig(stackFileConfig("Pulumi.prod.yaml"), "prod");
    expect(dev.pools.map((p) => [p.name, p.count])).toEqual([["standard", 2]]);
    expect(prod.platform.loadBalancer.enabled).toBe(true);
    expect(prod.pools.map((p) => p.name)).toEqual(["standard", "burst"]);
    expect(prod.cloudflare?.domain).toBe("example.com");
  });

  it("loads without @pulumi, so the cost CLI can parse stack files without an engine", () => {
    const script = 'require("tsx/cjs"); require("./stacks/config.ts"); console.log(Object.keys(require.cache).filter((k) => k.includes("@pulumi")).length)';
    expect(execFileSync(process.execPath, ["-e", script], { cwd: repoRoot, encoding: "utf8" }).trim()).toBe("0");
  });

  it("applies documented defaults", () => {
    const c = parse(base());
    expect(c.networkCidr).toBe("10.0.0.0/16");
    expect(c.platform).toMatchObject({ location: "fsn1", volumeGb: 20, floatingIp: true, publicPorts: [] });
    expect(c.platform.loadBalancer).toMatchObject({ enabled: false, healthCheckPort: 80 });
    expect(c.pools[0]).toMatchObject({ provider: "hetzner", location: "fsn1", weight: 1, volumeGb: 0, spot: false, spread: true, draining: false, labels: { tier: "standard" } });
    expect(c.docker).toEqual({ packageSource: "upstream", gvisorPlatform: "systrap", gvisorNetwork: "sandbox", prePullImages: [], sandboxDns: ["1.1.1.1", "9.9.9.9"] });
    expect(c.tls).toEqual({ validityHours: 8760, epoch: 0, rolloutWaves: 4, renewWithinDays: 30 });
    expect(c.protection).toEqual({ deleteProtection: false, retainVolumes: false, adoptVolumes: {} });
    expect(c.providers.hetzner).toMatchObject({ image: "debian-13" });
  });

  it("reads the engine's string form of objects, booleans and numbers", () => {
    const c = parse({
      ...base(),
      "sandfleet:platform": JSON.stringify({ serverType: "cx23", floatingIp: "false", volumeGb: "30" }),
      "sandfleet:adminCidrs": JSON.stringify(["198.51.100.0/24"]),
    });
    expect(c.platform).toMatchObject({ floatingIp: false, volumeGb: 30 });
  });

  it("warns that gVisor's host network is for tests only", () => {
    const c = parse(withKey("docker", { gvisorNetwork: "host" }));
    expect(stackConfigWarnings(c).join("\n")).toContain("sandfleet:docker.gvisorNetwork: \"host\"");
  });

  it("warns when admin CIDRs are still the documentation ranges of the shipped files", () => {
    expect(stackConfigWarnings(parse(withKey("adminCidrs", ["203.0.113.0/24"]))).join("\n")).toContain("documentation range");
  });
});

describe("every invalid value fails naming the key, the rule and the fix", () => {
  it.each([
    ["0.0.0.0/0", "sandfleet:adminCidrs: 0.0.0.0/0 opens SSH to the internet; set your office/VPN range, e.g. 198.51.100.0/24"],
    ["::/0", "sandfleet:adminCidrs: ::/0 opens SSH to the internet"],
  ])("rejects admin CIDR %s", (cidr, message) => expectRejected(withKey("adminCidrs", [cidr]), message));

  it("rejects an empty adminCidrs list", () => expectRejected(withKey("adminCidrs", []), "sandfleet:adminCidrs: is empty", "e.g. 198.51.100.0/24"));
  it("requires adminCidrs", () => {
    const raw = base();
    delete raw["sandfleet:adminCidrs"];
    expectRejected(raw, "sandfleet:adminCidrs: is required");
  });
  it("rejects an admin CIDR without prefix", () => expectRejected(withKey("adminCidrs", ["198.51.100.7"]), "sandfleet:adminCidrs: \"198.51.100.7\" is not a CIDR", "203.0.113.7/32"));
  it("rejects an admin CIDR with host bits set and suggests the network", () => expectRejected(withKey("adminCidrs", ["198.51.100.7/24"]), "host bits set", "198.51.100.0/24"));
  it("rejects duplicate admin CIDRs", () => expectRejected(withKey("adminCidrs", ["198.51.100.0/24", "198.51.100.0/24"]), "sandfleet:adminCidrs: lists a range twice"));
  it("rejects unknown top-level keys", () => expectRejected(withKey("adminCidr", ["198.51.100.0/24"]), "sandfleet:adminCidr: unknown key"));
  it("rejects unknown nested keys", () => expectRejected(withPlatform({ floatingIP: true }), "sandfleet:platform.floatingIP: unknown key"));
  it("requires a provider and names the available ones", () => {
    const raw = base();
    delete raw["sandfleet:provider"];
    expectRejected(raw, "sandfleet:provider: is required");
  });
  it("rejects a provider that is not available", () => expectRejected(withKey("provider", "linode"), "sandfleet:provider: \"linode\" is not an available provider; use one of: hetzner"));
  it("requires a location", () => {
    const raw = base();
    delete raw["sandfleet:location"];
    expectRejected(raw, "sandfleet:location: is required");
  });
  it("rejects a public network range", () => expectRejected(withKey("networkCidr", "203.0.113.0/24"), "sandfleet:networkCidr: 203.0.113.0/24 is not a private (RFC 1918) range"));
  it("rejects a network that is not CIDR", () => expectRejected(withKey("networkCidr", "10.0.0.0"), "sandfleet:networkCidr: 10.0.0.0 is not an IPv4 network"));
  it("rejects a network too small for pool blocks", () => expectRejected(withKey("networkCidr", "10.0.0.0/24"), "sandfleet:networkCidr: /24 cannot hold", "10.0.0.0/16"));
  it("requires the platform's server type", () => expectRejected(withKey("platform", {}), "sandfleet:platform.serverType: is required"));
  it("rejects a volume below the smallest size", () => expectRejected(withPlatform({ volumeGb: 5 }), "sandfleet:platform.volumeGb: use 0 (no volume) or 10 to 10240 GB"));
  it("rejects a boolean written as something else", () => expectRejected(withPlatform({ floatingIp: "yes" }), "sandfleet:platform.floatingIp: expected boolean, got string"));
  it("rejects publishing the Docker port", () => expectRejected(withPlatform({ publicPorts: [443, 2376] }), "sandfleet:platform.publicPorts.1: port 2376 cannot be published"));
  it("rejects publishing plain Docker", () => expectRejected(withPlatform({ publicPorts: [2375] }), "port 2375 cannot be published"));
  it("rejects a duplicate public port", () => expectRejected(withPlatform({ publicPorts: [443, 443] }), "sandfleet:platform.publicPorts: lists a port twice"));
  it("rejects duplicate load balancer listen ports", () =>
    expectRejected(withPlatform({ loadBalancer: { enabled: true, ports: [443, { listen: 443, target: 8443 }] } }), "sandfleet:platform.loadBalancer.ports: listen port 443 appears twice"));
  it("rejects a load balancer on the SSH port", () => expectRejected(withPlatform({ loadBalancer: { enabled: true, ports: [22] } }), "sandfleet:platform.loadBalancer.ports.0.listen: port 22 cannot be published"));
  it("rejects a health check port for a disabled load balancer", () =>
    expectRejected(withPlatform({ loadBalancer: { healthCheckPort: 80 } }), "sandfleet:platform.loadBalancer.healthCheckPort: is set but the load balancer is disabled"));
  it("rejects a stack without pools", () => expectRejected(withKey("pools", {}), "sandfleet:pools: is empty"));
  it("rejects a stack without any workspace server", () => expectRejected(withPool({ count: 0 }), "sandfleet:pools: has no workspace servers"));
  it("rejects a pool name that is not DNS-safe", () => expectRejected(withPool({}, "Big_Pool"), "sandfleet:pools.Big_Pool: pool name \"Big_Pool\" is not DNS-safe"));
  it("requires maxContainers", () => expectRejected(withKey("pools", { standard: { count: 1, serverType: "cx33" } }), "sandfleet:pools.standard.maxContainers: is required"));
  it("rejects a non-integer count", () => expectRejected(withPool({ count: 2.5 }), "sandfleet:pools.standard.count: must be a whole number"));
  it("rejects more servers than a pool's address block holds", () => expectRejected(withPool({ count: 241 }), "sandfleet:pools.standard.count: 241 servers do not fit", "split the pool"));
  it("rejects a zero weight", () => expectRejected(withPool({ weight: 0 }), "sandfleet:pools.standard.weight: use a number above 0"));
  it("rejects a reserved label", () => expectRejected(withPool({ labels: { provider: "x" } }), "sandfleet:pools.standard.labels.provider: \"provider\" is set by sandfleet itself"));
  it("rejects a label value that is not label-safe", () => expectRejected(withPool({ labels: { tier: "Gold Tier" } }), "sandfleet:pools.standard.labels.tier: value \"Gold Tier\" is not a label value"));
  it("rejects a pool on a provider that is not available", () => expectRejected(withPool({ provider: "linode", location: "us-east" }), "sandfleet:pools.standard.provider: \"linode\" is not an available provider"));
  it("rejects an address block outside the network", () => expectRejected(withPool({ addressBlock: 300 }), "sandfleet:pools.standard.addressBlock: block 300 is outside 10.0.0.0/16"));
  it("rejects two pools in one address block and names a free one", () => {
    const raw = withKey("pools", {
      standard: { count: 1, serverType: "cx33", maxContainers: 5 },
      burst: { count: 1, serverType: "cx33", maxContainers: 5, addressBlock: defaultAddressBlock("standard", 256) },
    });
    expectRejected(raw, "sandfleet:pools.burst.addressBlock: pool \"burst\" gets address block", "already used by pool \"standard\"", "set pools.burst.addressBlock to a free block");
  });
  it("rejects an unknown gVisor platform and lists the valid ones", () => expectRejected(withKey("docker", { gvisorPlatform: "kvm2" }), "sandfleet:docker.gvisorPlatform: \"kvm2\" is not allowed; use one of: systrap, ptrace, kvm"));
  it("rejects an unknown package source", () => expectRejected(withKey("docker", { packageSource: "snap" }), "use one of: upstream, distro"));
  it("rejects a sandbox DNS server containers cannot reach (the VPC resolver, the metadata range)", () => {
    expectRejected(withKey("docker", { sandboxDns: ["1.1.1.1", "10.0.0.2"] }), "sandfleet:docker.sandboxDns.1: 10.0.0.2 is a private range, which containers may not reach (DOCKER-USER); use a public resolver such as 1.1.1.1 or 9.9.9.9");
    expectRejected(withKey("docker", { sandboxDns: ["169.254.169.253"] }), "sandfleet:docker.sandboxDns.0: 169.254.169.253 is link-local");
    expectRejected(withKey("docker", { sandboxDns: ["127.0.0.53"] }), "sandfleet:docker.sandboxDns.0: 127.0.0.53 is the container's own loopback");
    expectRejected(withKey("docker", { sandboxDns: ["dns.google"] }), 'sandfleet:docker.sandboxDns.0: "dns.google" is not an IP address');
  });
  it("rejects an empty or over-long sandbox DNS list", () => {
    expectRejected(withKey("docker", { sandboxDns: [] }), "sandfleet:docker.sandboxDns: needs at least one DNS server");
    expectRejected(withKey("docker", { sandboxDns: ["1.1.1.1", "1.0.0.1", "9.9.9.9", "8.8.8.8"] }), "sandfleet:docker.sandboxDns: lists more than 3 DNS servers");
  });
  it("accepts public IPv4 and IPv6 sandbox DNS servers", () => {
    expect(parse(withKey("docker", { sandboxDns: ["8.8.8.8", "2606:4700:4700::1111"] })).docker.sandboxDns).toEqual(["8.8.8.8", "2606:4700:4700::1111"]);
  });
  it("rejects an image reference that is not one", () => expectRejected(withKey("docker", { prePullImages: ["Python 3"] }), "sandfleet:docker.prePullImages.0: must be an image reference"));
  it("renews leaves 30 days before expiry, or a third of a shorter validity, and refuses a window as long as the validity", () => {
    expect(parse(withKey("tls", { validityHours: 2160 })).tls.renewWithinDays).toBe(30);
    expect(parse(withKey("tls", { validityHours: 240 })).tls.renewWithinDays).toBe(3);
    expect(parse(withKey("tls", { validityHours: 2160, renewWithinDays: 45 })).tls.renewWithinDays).toBe(45);
    expectRejected(
      withKey("tls", { validityHours: 240, renewWithinDays: 10 }),
      "sandfleet:tls.renewWithinDays: 10 days is not shorter than the leaves' validity (tls.validityHours 240 = 10.0 days), so every leaf would always be due; use at most 9",
    );
    expectRejected(withKey("tls", { renewWithinDays: -1 }), "sandfleet:tls.renewWithinDays: use a whole number of days, 0 or more");
  });
  it("rejects a TLS validity beyond the CA's", () => expectRejected(withKey("tls", { validityHours: 100000 }), "sandfleet:tls.validityHours: use 24 to 43800 hours"));
  it("rejects a negative TLS epoch", () => expectRejected(withKey("tls", { epoch: -1 }), "sandfleet:tls.epoch: use a whole number of 0 or more"));
  it("rejects zero or fractional TLS rollout waves", () => {
    expectRejected(withKey("tls", { rolloutWaves: 0 }), "sandfleet:tls.rolloutWaves: use 1 (all servers of a pool at once) to 240 (one server at a time)");
    expectRejected(withKey("tls", { rolloutWaves: 2.5 }), "sandfleet:tls.rolloutWaves: must be a whole number");
  });
  it("rejects a private key among the SSH public keys", () =>
    expectRejected(withKey("sshPublicKeys", ["-----BEGIN OPENSSH PRIVATE KEY-----\nabc"]), "sandfleet:sshPublicKeys.0: is a private key"));
  it("rejects an SSH public key that is not OpenSSH", () => expectRejected(withKey("sshPublicKeys", ["AAAAC3NzaC1lZDI1NTE5"]), "sandfleet:sshPublicKeys.0: is not an OpenSSH public key"));
  it("rejects half a deploy key", () => expectRejected(withKey("deployPrivateKey", "-----BEGIN OPENSSH PRIVATE KEY-----\nx"), "sandfleet:deployPublicKey: deployPrivateKey and deployPublicKey go together"));
  it("rejects a deploy private key that is not a key", () =>
    expectRejected({ ...withKey("deployPrivateKey", "hunter2"), "sandfleet:deployPublicKey": "ssh-ed25519 AAAAC3Nz deploy" }, "sandfleet:deployPrivateKey: is not a PEM/OpenSSH private key"));
  it("rejects a Cloudflare zone id that is not one", () => expectRejected(withKey("cloudflare", { zoneId: "abc", domain: "example.com" }), "sandfleet:cloudflare.zoneId: must be the 32-character hex zone id"));
  it("rejects a Cloudflare domain that is not a domain", () =>
    expectRejected(withKey("cloudflare", { zoneId: "0123456789abcdef0123456789abcdef", domain: "https://example.com" }), "sandfleet:cloudflare.domain: must be a lower-case domain name"));
  it("rejects a proxied record for a platform that serves no HTTP(S)", () =>
    expectRejected(withKey("cloudflare", { zoneId: "0123456789abcdef0123456789abcdef", domain: "example.com", proxied: true }), "sandfleet:cloudflare.proxied: proxies only HTTP(S)"));
  it("rejects provider settings with unknown keys", () => expectRejected(withKey("hetzner", { imgae: "debian-12" }), "sandfleet:hetzner.imgae: unknown key"));
  it("refuses, at preview, an image of a Debian release the user-data does not target", () =>
    expectRejected(withKey("hetzner", { image: "debian-12" }), "sandfleet:hetzner.image: names Debian 12", "targets Debian 13 (trixie)", "remove the setting to use the default"));
  it("accepts a custom image that names no Debian release (a snapshot is the user's call)", () =>
    expect(parse(withKey("hetzner", { image: "sandfleet-golden-2026-11" })).providers.hetzner).toMatchObject({ image: "sandfleet-golden-2026-11" }));
  it("rejects a provider section for a provider no server uses", () => {
    const registry = { hetzner: { create: async () => { throw new Error("unused"); } }, aws: { create: async () => { throw new Error("unused"); } } };
    expect(() => parseStackConfig(withKey("aws", { region: "eu-central-1" }), "test", registry)).toThrow("sandfleet:aws: is set but no server uses provider aws");
  });
  it("requires a location for a pool on another provider", () => {
    const registry = { hetzner: { create: async () => { throw new Error("unused"); } }, aws: { create: async () => { throw new Error("unused"); } } };
    expect(() => parseStackConfig(withPool({ provider: "aws" }), "test", registry)).toThrow("sandfleet:pools.standard.location: is required because the pool uses provider aws");
  });
  describe("SSH key types on Azure", () => {
    const ecdsa = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTY= admin@laptop";
    const azure = (keys: string[]) => ({
      ...base(),
      "sandfleet:provider": "azure",
      "sandfleet:location": "westeurope",
      "sandfleet:platform": { serverType: "Standard_B2s" },
      "sandfleet:pools": { standard: { count: 2, serverType: "Standard_D2as_v5", maxContainers: 10 } },
      "sandfleet:sshPublicKeys": keys,
    });
    it("refuses, at preview, an ECDSA key when a server runs on Azure, which takes only RSA and Ed25519", () =>
      expectRejected(
        azure(["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIadmin admin", ecdsa]),
        "sandfleet:sshPublicKeys.1: is an ecdsa-sha2-nistp256 key, but Azure VMs accept only ssh-rsa and ssh-ed25519 keys (servers on Azure: platform, pool standard); use an Ed25519 key ('ssh-keygen -t ed25519') or RSA of at least 2048 bits",
      ));
    it("refuses an ECDSA key when only a pool runs on Azure", () => {
      const registry = { hetzner: { create: async () => { throw new Error("unused"); } }, azure: { create: async () => { throw new Error("unused"); } } };
      expect(() =>
        parseStackConfig({ ...withPool({ provider: "azure", location: "westeurope", serverType: "Standard_D2as_v5" }), "sandfleet:sshPublicKeys": [ecdsa] }, "test", registry),
      ).toThrow("sandfleet:sshPublicKeys.0: is an ecdsa-sha2-nistp256 key, but Azure VMs accept only ssh-rsa and ssh-ed25519 keys (servers on Azure: pool standard)");
    });
    it("accepts RSA and Ed25519 keys on Azure", () =>
      expect(parse(azure(["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIadmin admin", "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ admin"])).sshPublicKeys).toHaveLength(2));
    it("still accepts ECDSA keys where no server runs on Azure", () => expect(parse(withKey("sshPublicKeys", [ecdsa])).sshPublicKeys).toEqual([ecdsa]));
  });
  it("reports several problems at once", () =>
    expectRejected({ ...withKey("adminCidrs", ["0.0.0.0/0"]), "sandfleet:bogus": 1 }, "sandfleet:adminCidrs: 0.0.0.0/0 opens SSH", "sandfleet:bogus: unknown key"));
});
