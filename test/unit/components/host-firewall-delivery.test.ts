/**
 * The host firewall follows config changes: providers read user-data once, at creation, so the post-boot step
 * (workspace servers) and the readiness check (platform) send the nftables ruleset rendered now from the host's
 * config, by the renderer of user-data's copy, and its digest is among their triggers. Run under mocks through
 * the fleet component with the fake provider (./support/fake-provider.ts).
 */
import { createHash } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import type { SandboxFleetArgs } from "../../../components/fleet/args";
import { firewallRulesetBlock } from "../../../cloud-init";
import { renderedFile } from "../../support/cloud-init-files";
import { installPulumiMocks, valueOf, type MockRecorder } from "../../support/pulumi-mocks";
import { secretValue, unwrapSecret } from "../../support/secret-inputs";
import { settled } from "../stack/support/run-program";
import { fakeProvider, type FakeProviderLog, type FakeProviderOptions } from "./support/fake-provider";

const args = (overrides: Partial<SandboxFleetArgs> = {}): Omit<SandboxFleetArgs, "providers"> => ({
  stack: "test",
  provider: "hetzner",
  location: "fsn1",
  networkCidr: "10.0.0.0/16",
  adminCidrs: ["198.51.100.0/24"],
  platform: { serverType: "small", location: "fsn1" },
  pools: [
    { name: "standard", location: "fsn1", count: 2, serverType: "medium", maxContainers: 10 },
    { name: "burst", provider: "aws", location: "eu-central-1", count: 1, serverType: "t3.large", maxContainers: 4 },
  ],
  docker: { packageSource: "distro", gvisorPlatform: "ptrace", gvisorNetwork: "none", prePullImages: [] },
  ...overrides,
});

interface Run {
  mocks: MockRecorder;
  userData: Record<string, string>;
}

async function build(fleetArgs: Omit<SandboxFleetArgs, "providers">, main: FakeProviderOptions = {}): Promise<Run> {
  vi.resetModules();
  const mocks = installPulumiMocks({ stack: "test" });
  const { SandboxFleet } = await import("../../../components/fleet");
  const hetzner = fakeProvider(main);
  const aws = fakeProvider({ name: "aws", sshUser: "admin" });
  const fleet = new SandboxFleet("fleet", { ...fleetArgs, providers: { hetzner: hetzner.provider, aws: aws.provider } });
  await valueOf(fleet.endpointRegistry);
  await settled(mocks);
  const userData: Record<string, string> = {};
  for (const log of [hetzner.log, aws.log] as FakeProviderLog[]) {
    for (const [name, text] of Object.entries(log.userData)) userData[name] = await valueOf(text);
  }
  return { mocks, userData };
}

const HOSTS = { "ws-standard-1": "fleet-ws-standard-1-post-boot-run", "ws-standard-2": "fleet-ws-standard-2-post-boot-run", "ws-burst-1": "fleet-ws-burst-1-post-boot-run", platform: "fleet-platform-readiness-run" };
const stepOf = (run: Run, host: keyof typeof HOSTS) => run.mocks.named(HOSTS[host]).inputs;
const firewallFileOf = (run: Run, host: string) => renderedFile(run.userData[host], "/etc/sandfleet/firewall.nft").content;
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");
const triggersOf = (run: Run, host: keyof typeof HOSTS) => stepOf(run, host).triggers.map(unwrapSecret) as string[];

describe("the host firewall on the second pulumi up", () => {
  it("sends each host the very ruleset its user-data wrote, framed last on stdin, and asks the script to reload it", async () => {
    const run = await build(args());
    for (const host of ["ws-standard-1", "ws-standard-2", "ws-burst-1"] as const) {
      const step = stepOf(run, host);
      expect(step.create, host).toMatch(/ --firewall$/);
      const stdin = secretValue(step.stdin) as string;
      expect(stdin.startsWith("-----BEGIN CERTIFICATE-----"), host).toBe(true);
      expect(stdin.endsWith(firewallRulesetBlock(firewallFileOf(run, host))), host).toBe(true);
      expect(triggersOf(run, host), host).toContain(sha256(firewallFileOf(run, host)));
    }
    const platform = stepOf(run, "platform");
    expect(platform.create).toBe("bash /var/lib/sandfleet/install-docker-tls.sh --role platform --wait-only --firewall");
    // The platform's stdin is the ruleset alone: no key material goes to a wait-only run.
    expect(unwrapSecret(platform.stdin)).toBe(firewallRulesetBlock(firewallFileOf(run, "platform")));
    expect(triggersOf(run, "platform")).toContain(sha256(firewallFileOf(run, "platform")));
  });

  it("re-runs every host's step when adminCidrs changes, with the new SSH source in the ruleset it sends", async () => {
    const before = await build(args());
    const after = await build(args({ adminCidrs: ["203.0.113.0/24"] }));
    for (const host of Object.keys(HOSTS) as (keyof typeof HOSTS)[]) {
      expect(triggersOf(after, host), host).not.toEqual(triggersOf(before, host));
      const stdin = unwrapSecret(stepOf(after, host).stdin) as string;
      expect(stdin, host).toContain("ip saddr 203.0.113.0/24 tcp dport 22 accept");
      expect(stdin, host).not.toContain("198.51.100.0/24");
    }
  });

  it("re-runs only the other cloud's hosts when the platform's public IP changes (a replaced platform), admitting the new IP to 2376", async () => {
    const before = await build(args());
    const after = await build(args(), { platformPublicIp: "198.19.7.7" });
    expect(triggersOf(after, "ws-burst-1")).not.toEqual(triggersOf(before, "ws-burst-1"));
    const burstRules = (unwrapSecret(stepOf(after, "ws-burst-1").stdin) as string).split("\n").filter((line) => line.includes("dport 2376"));
    expect(burstRules).toEqual(["    ip saddr 198.19.7.7/32 tcp dport 2376 accept"]);
    // Same-network hosts admit the private range, which did not change: their steps stay as they were.
    for (const host of ["ws-standard-1", "ws-standard-2", "platform"] as const) {
      expect(triggersOf(after, host), host).toEqual(triggersOf(before, host));
    }
  });

  it("leaves every trigger as it was when nothing changes", async () => {
    const [a, b] = [await build(args()), await build(args())];
    for (const host of Object.keys(HOSTS) as (keyof typeof HOSTS)[]) expect(triggersOf(b, host), host).toEqual(triggersOf(a, host));
  });
});
