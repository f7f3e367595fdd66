import { describe, expect, it, vi } from "vitest";
import { installPulumiMocks, valueOf, type MockRecorder } from "../../support/pulumi-mocks";
import type { SandboxFleetArgs } from "../../../components/fleet/args";
import { fakeProvider, type FakeProviderLog, type FakeProviderOptions } from "./support/fake-provider";
import { settled } from "../stack/support/run-program";
import { readableUserData, renderedFile } from "../../support/cloud-init-files";

const baseArgs = (overrides: Partial<SandboxFleetArgs> = {}): Omit<SandboxFleetArgs, "providers"> => ({
  stack: "test",
  provider: "hetzner",
  location: "fsn1",
  networkCidr: "10.0.0.0/16",
  adminCidrs: ["198.51.100.0/24"],
  platform: { serverType: "small", location: "fsn1", volumeGb: 10 },
  pools: [
    { name: "standard", location: "fsn1", count: 3, serverType: "medium", maxContainers: 10, volumeGb: 20 },
    { name: "burst", location: "fsn1", count: 1, serverType: "medium", maxContainers: 5 },
  ],
  docker: { packageSource: "distro", gvisorPlatform: "ptrace", gvisorNetwork: "none", prePullImages: [] },
  ...overrides,
});

interface FleetRun {
  mocks: MockRecorder;
  log: FakeProviderLog;
  fleet: import("../../../components/fleet").SandboxFleet;
  logs: Record<string, FakeProviderLog>;
}

async function buildFleet(
  args: Omit<SandboxFleetArgs, "providers">,
  extraProviders: { name: "aws"; privateOnly?: boolean; publicIpOnInterface?: boolean }[] = [],
  privateOnly = false,
  mainOptions: FakeProviderOptions = {},
): Promise<FleetRun> {
  vi.resetModules();
  const mocks = installPulumiMocks({ stack: "test" });
  const { SandboxFleet } = await import("../../../components/fleet");
  const main = fakeProvider({ privateOnly, ...mainOptions });
  const providers: Partial<Record<"hetzner" | "aws", import("../../../components/provider").FleetProvider>> = { hetzner: main.provider };
  const logs: Record<string, FakeProviderLog> = { hetzner: main.log };
  for (const extra of extraProviders) {
    const p = fakeProvider({ name: extra.name, privateOnly: extra.privateOnly, publicIpOnInterface: extra.publicIpOnInterface, sshUser: "admin" });
    providers[extra.name] = p.provider;
    logs[extra.name] = p.log;
  }
  const fleet = new SandboxFleet("fleet", { ...args, providers });
  await valueOf(fleet.endpointRegistry);
  await settled(mocks);
  return { mocks, log: main.log, fleet, logs };
}

/** Everything the core decides about one server, resolved: spec, user-data, cert request, post-boot command. */
async function serverInputs(run: FleetRun, serverName: string) {
  const spec = run.log.pools.flatMap((p) => p.servers).find((s) => s.name === serverName)!;
  const csr = run.mocks.named(`fleet-docker-tls-${serverName}-csr`).inputs;
  const step = run.mocks.named(`fleet-${serverName}-post-boot-run`).inputs;
  return {
    name: spec.name,
    privateIp: spec.privateIp,
    serverType: spec.serverType,
    labels: spec.labels,
    userData: await valueOf(run.log.userData[serverName]),
    sans: { ip: csr.ipAddresses, dns: csr.dnsNames },
    command: step.create,
  };
}

describe("the SandboxFleet component", () => {
  it("leaves every other server's inputs unchanged when a pool grows from 3 to 4", async () => {
    // A fixed deploy key: under mocks a generated key's value depends on registration order, while in a
    // real update it is the same, unchanged resource.
    const deployKey = { privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n", publicKey: "ssh-ed25519 AAAAfixed deploy" };
    const before = await buildFleet(baseArgs({ deployKey }));
    const grownPools = baseArgs().pools.map((p) => (p.name === "standard" ? { ...p, count: 4 } : p));
    const after = await buildFleet(baseArgs({ deployKey, pools: grownPools }));
    for (const name of ["ws-standard-1", "ws-standard-2", "ws-standard-3", "ws-burst-1"]) {
      expect(await serverInputs(after, name), name).toEqual(await serverInputs(before, name));
    }
    expect(after.log.pools[0].servers.map((s) => s.name)).toEqual(["ws-standard-1", "ws-standard-2", "ws-standard-3", "ws-standard-4"]);
    expect((await valueOf(after.fleet.endpoints)).length).toBe(5);
  });

  it("registers its children under the fleet with names derived from the fleet's name", async () => {
    const run = await buildFleet(baseArgs());
    const ours = run.mocks.resources.filter((r) => r.type.startsWith("sandfleet:") || r.type.startsWith("tls:") || r.type.startsWith("command:"));
    for (const r of ours) expect(r.name.startsWith("fleet"), r.name).toBe(true);
    expect(run.mocks.ofType("sandfleet:fleet:SandboxFleet")).toHaveLength(1);
  });

  it("hands the provider user-data rendered for the role, with the deploy key and the volume", async () => {
    const run = await buildFleet(baseArgs());
    const userData = await valueOf(run.log.userData["ws-standard-1"]);
    expect(userData).toMatch(/^#cloud-config/);
    expect(userData).toContain('"default-runtime": "runsc"');
    expect(userData).toContain("/dev/disk/by-id/fake-ws-standard-1");
    expect(userData).toContain("AAAAmock");
    expect(readableUserData(userData)).not.toContain("PRIVATE KEY");
    expect(run.log.pools[0].dockerApiSources).toEqual(["10.0.0.0/16"]);
    expect(run.log.sites[0]).toMatchObject({ name: "fleet", networkCidr: "10.0.0.0/16", adminCidrs: ["198.51.100.0/24"] });
  });

  it("renders the provider's floating IP into the platform's user-data, so the host binds it", async () => {
    const run = await buildFleet(baseArgs(), [], false, { floatingIp: "198.51.100.20" });
    const platform = readableUserData(await valueOf(run.log.userData["platform"]));
    expect(platform).toContain('addresses="198.51.100.20"');
    expect(platform).toContain("systemctl enable --now sandfleet-extra-addresses.service");
    expect(readableUserData(await valueOf(run.log.userData["ws-standard-1"]))).not.toContain("sandfleet-extra-addresses");
    expect(readableUserData(await valueOf((await buildFleet(baseArgs())).log.userData["platform"]))).not.toContain("sandfleet-extra-addresses");
  });

  it("marks the endpoints of a draining pool", async () => {
    const pools = baseArgs().pools.map((p) => (p.name === "burst" ? { ...p, draining: true } : p));
    const run = await buildFleet(baseArgs({ pools }));
    const endpoints = await valueOf(run.fleet.endpoints);
    expect(endpoints.filter((e) => e.draining).map((e) => e.id)).toEqual(["hetzner-fsn1-burst-1"]);
  });

  it("reaches workspace servers without a public address through the platform server", async () => {
    const run = await buildFleet(baseArgs(), [], true);
    const connection = run.mocks.named("fleet-ws-standard-1-post-boot-run").inputs.connection.value;
    const platformIp = await valueOf(run.fleet.platformPublicAddress);
    expect(connection).toMatchObject({ host: "10.0.109.10", user: "root", proxy: { host: platformIp, user: "root" } });
    expect(connection.dialErrorLimit).toBeGreaterThanOrEqual(60);
  });

  it("dials a pool on another provider over its public IP, allowed only from the platform's IP", async () => {
    const pools = [...baseArgs().pools, { name: "spot", provider: "aws" as const, location: "eu-central-1", count: 1, serverType: "t3.large", maxContainers: 4, spot: true }];
    const run = await buildFleet(baseArgs({ pools }), [{ name: "aws" }]);
    const aws = run.logs.aws;
    const platformPublicIp = await valueOf(run.fleet.platformPublicAddress);
    expect(aws.sites[0].location).toBe("eu-central-1");
    expect(await valueOf(aws.pools[0].dockerApiSources[0])).toBe(`${platformPublicIp}/32`);
    const endpoint = (await valueOf(run.fleet.endpoints)).find((e) => e.id === "aws-eu-central-1-spot-1")!;
    expect(endpoint.host).toBe(endpoint.publicHost);
    expect(run.mocks.named("fleet-docker-tls-ws-spot-1-csr").inputs.ipAddresses).toContain(endpoint.host);
    const step = run.mocks.named("fleet-ws-spot-1-post-boot-run").inputs;
    expect(step.connection.value).toMatchObject({ user: "admin" });
    expect(step.connection.value.proxy).toBeUndefined();
    expect(step.create).toMatch(/^sudo -n /);
  });

  it("listens on a cross-provider server's public IP too when the provider puts it on an interface, admitting only the platform", async () => {
    const pools = [...baseArgs().pools, { name: "spot", provider: "aws" as const, location: "eu-central-1", count: 1, serverType: "t3.large", maxContainers: 4 }];
    const onInterface = await buildFleet(baseArgs({ pools }), [{ name: "aws", publicIpOnInterface: true }]);
    const endpoint = (await valueOf(onInterface.fleet.endpoints)).find((e) => e.id === "aws-eu-central-1-spot-1")!;
    const spotOf = async (run: FleetRun) => ({
      privateIp: run.logs.aws.pools[0].servers[0].privateIp,
      userData: await valueOf(run.logs.aws.userData["ws-spot-1"]),
      command: run.mocks.named("fleet-ws-spot-1-post-boot-run").inputs.create as string,
    });
    const spot = await spotOf(onInterface);
    expect(spot.command).toContain(`--listen-address ${spot.privateIp} --listen-address ${endpoint.publicHost} --port 2376`);
    expect(spot.command).not.toContain("0.0.0.0");
    const platformPublicIp = await valueOf(onInterface.fleet.platformPublicAddress);
    const rules = renderedFile(spot.userData, "/etc/sandfleet/firewall.nft").content.split("\n").filter((l) => l.includes("dport 2376"));
    expect(rules).toEqual([`    ip saddr ${platformPublicIp}/32 tcp dport 2376 accept`]);
    // Same-network servers stay on their private address only.
    expect((await serverInputs(onInterface, "ws-standard-1")).command).toMatch(
      /--listen-address 10\.0\.\d+\.\d+ --port 2376 --firewall --data-device \/dev\/disk\/by-id\/fake-ws-standard-1 --data-mount \/var\/lib\/docker$/,
    );

    const natted = await buildFleet(baseArgs({ pools }), [{ name: "aws" }]);
    const nattedSpot = await spotOf(natted);
    expect(nattedSpot.command).toMatch(new RegExp(`--listen-address ${nattedSpot.privateIp.replace(/\./g, "\\.")} --port 2376 --firewall$`));
  });

  it("waits for the platform's cloud-init (the same script, wait-only) before delivering the registry to it", async () => {
    vi.resetModules();
    const mocks = installPulumiMocks({ stack: "test" });
    const pulumi = await import("@pulumi/pulumi");
    const { createSandboxFleet } = await import("../../../components/fleet/create-fleet");
    const parent = new pulumi.ComponentResource("test:index:Parent", "parent");
    const fleet = createSandboxFleet("fleet", { ...baseArgs(), providers: { hetzner: fakeProvider().provider } }, parent);
    await valueOf(fleet.endpointRegistry);
    await settled(mocks);
    const readiness = mocks.named("fleet-platform-readiness-run").inputs;
    expect(readiness.create).toBe(
      "bash /var/lib/sandfleet/install-docker-tls.sh --role platform --wait-only --firewall --data-device /dev/disk/by-id/fake-platform --data-mount /srv/sandfleet",
    );
    // No key material: only the host firewall's ruleset (host-firewall-delivery.test.ts).
    expect(readiness.stdin).toMatch(/^-----BEGIN SANDFLEET NFTABLES RULESET-----\n[^]*-----END SANDFLEET NFTABLES RULESET-----\n$/);
    expect(readiness.stdin).not.toMatch(/PRIVATE KEY|CERTIFICATE/);
    expect(readiness.connection.value).toMatchObject({ host: await valueOf(fleet.platformPublicAddress), user: "root" });
    expect(mocks.named("fleet-platform-readiness-script").inputs.remotePath).toBe("/var/lib/sandfleet/install-docker-tls.sh");
    expect(fleet.registryDelivery.waitsFor).toEqual([fleet.platformReadiness.run]);
  });

  it("re-issues leaf keys and certs, not the CA, when the TLS epoch is bumped", async () => {
    const run0 = await buildFleet(baseArgs());
    const run1 = await buildFleet(baseArgs({ tls: { epoch: 1 } }));
    const csr = (run: FleetRun, name: string) => run.mocks.named(`fleet-docker-tls-${name}-csr`).inputs.subject;
    expect(csr(run0, "ws-standard-1").organizationalUnit).toMatch(/^epoch-0\.renewal-\d+$/);
    expect(csr(run1, "ws-standard-1").organizationalUnit).toMatch(/^epoch-1\.renewal-\d+$/);
    expect(csr(run1, "client").organizationalUnit).toMatch(/^epoch-1\.renewal-\d+$/);
    expect(run1.mocks.named("fleet-docker-tls-ca").inputs).toEqual(run0.mocks.named("fleet-docker-tls-ca").inputs);
  });

  it("issues certificates with the shared profile's snake_case usages and key type", async () => {
    const run = await buildFleet(baseArgs());
    expect(run.mocks.named("fleet-docker-tls-ws-standard-1-cert").inputs.allowedUses).toEqual(["digital_signature", "server_auth"]);
    expect(run.mocks.named("fleet-docker-tls-client-cert").inputs.allowedUses).toEqual(["digital_signature", "client_auth"]);
    expect(run.mocks.named("fleet-docker-tls-ca").inputs).toMatchObject({ isCaCertificate: true, allowedUses: ["cert_signing", "crl_signing", "digital_signature"] });
    expect(run.mocks.named("fleet-docker-tls-ws-standard-1-key").inputs).toMatchObject({ algorithm: "ECDSA", ecdsaCurve: "P256" });
  });

  it("creates DNS records for the platform and, when asked, for workspace servers covered by their certs", async () => {
    const run = await buildFleet(baseArgs({ cloudflare: { zoneId: "0123456789abcdef0123456789abcdef", domain: "example.com", platformRecord: "sandbox", workspaceRecords: true } }));
    const records = run.mocks.ofType("cloudflare:index/dnsRecord:DnsRecord");
    expect(records.map((r) => r.inputs.name).sort()).toEqual(["sandbox.example.com", "ws-burst-1.test.example.com", "ws-standard-1.test.example.com", "ws-standard-2.test.example.com", "ws-standard-3.test.example.com"]);
    expect(records.every((r) => r.inputs.proxied === false)).toBe(true);
    expect(run.mocks.named("fleet-docker-tls-ws-standard-2-csr").inputs.dnsNames).toContain("ws-standard-2.test.example.com");
  });

  it("publishes only public addresses in the public zone: each workspace record points at its server's public IPv4", async () => {
    const run = await buildFleet(baseArgs({ cloudflare: { zoneId: "0123456789abcdef0123456789abcdef", domain: "example.com", platformRecord: "sandbox", workspaceRecords: true } }));
    const contentOf = (name: string) => run.mocks.ofType("cloudflare:index/dnsRecord:DnsRecord").find((r) => r.inputs.name === name)?.inputs.content;
    // The fake provider gives ws at 10.0.x.y the public IPv4 198.18.x.y; the pool dials the private one.
    const planned = run.log.pools.flatMap((pool) => pool.servers).find((server) => server.name === "ws-standard-1")!;
    expect(planned.privateIp).toMatch(/^10\./);
    expect(contentOf("ws-standard-1.test.example.com")).toBe(`198.18.${planned.privateIp.split(".").slice(2).join(".")}`);
  });

  it("refuses user-data above the limit its provider states, naming the server, both sizes and what to shorten", async () => {
    // Not through buildFleet: the refused user-data never lets the registry resolve.
    vi.resetModules();
    const mocks = installPulumiMocks({ stack: "test" });
    const { SandboxFleet } = await import("../../../components/fleet");
    const main = fakeProvider({ maxUserDataBytes: 4096 });
    new SandboxFleet("fleet", { ...baseArgs({}), providers: { hetzner: main.provider } });
    // Output.promise() is Pulumi's internal accessor; unlike apply it surfaces the rejection.
    type Internals = { promise(): Promise<string>; isKnown: Promise<boolean>; isSecret: Promise<boolean> };
    const internalsOf = (server: string) => main.log.userData[server] as unknown as Internals;
    const promiseOf = (server: string) => internalsOf(server).promise();
    // Every server's user-data is refused; all of them are awaited, so no rejection goes unhandled.
    await Promise.allSettled(Object.keys(main.log.userData).flatMap((server) => [promiseOf(server), internalsOf(server).isKnown, internalsOf(server).isSecret]));
    await expect(promiseOf("ws-standard-1")).rejects.toThrow(
      /^sandfleet:docker\.prePullImages: the user-data of ws-standard-1 is \d+ bytes, above the 4096 bytes hetzner accepts; pre-pull fewer images \(or shorten sandfleet:docker.sandboxDns, sshPublicKeys or adminCidrs\)$/,
    );
    // What does not depend on user-data still registers; let it finish before the next test's mocks.
    await settled(mocks);
  });

  it("passes user-data within the stated limit unchanged", async () => {
    const run = await buildFleet(baseArgs({}), [], false, { maxUserDataBytes: 32768 });
    expect(await valueOf(run.log.userData["ws-standard-1"])).toMatch(/^#cloud-config/);
  });

  it("uses a deploy key the user brings instead of generating one", async () => {
    const run = await buildFleet(baseArgs({ deployKey: { privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n", publicKey: "ssh-ed25519 AAAAuser deploy" } }));
    expect(run.mocks.resources.find((r) => r.name === "fleet-deploy-key")).toBeUndefined();
    expect(await valueOf(run.log.userData["ws-standard-1"])).toContain("ssh-ed25519 AAAAuser deploy");
  });
});
