/**
 * The `local` provider under Pulumi mocks: the resource graph it registers (a network, one dynamic host
 * resource per server, with the core's user-data) and what it reports back to the core.
 */
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { installPulumiMocks, MockRecorder, valueOf } from "../../support/pulumi-mocks";
import type { FleetProvider, SiteArgs } from "../../../components/provider";

const HOST_TYPE = "pulumi-nodejs:dynamic/sandfleet:LocalHost";
const NETWORK_TYPE = "pulumi-nodejs:dynamic/sandfleet:LocalNetwork";

describe("the local provider", () => {
  let recorder: MockRecorder;
  let localProvider: FleetProvider;

  beforeAll(async () => {
    recorder = installPulumiMocks({ stack: "local" });
    ({ localProvider } = await import("../../../components/local"));
  });

  const siteArgs = (providerConfig?: Record<string, unknown>): SiteArgs => ({
    name: "sandfleet-local",
    stack: "local",
    location: "docker",
    networkCidr: "10.214.0.0/16",
    adminCidrs: ["10.214.0.1/32"],
    sshPublicKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAItest deploy"],
    tags: {},
    protection: { deleteProtection: false, retainVolumes: false },
    providerConfig,
  });

  const spec = (name: string, privateIp: string) => ({
    name,
    serverType: "container",
    location: "docker",
    privateIp,
    volumeGb: 0,
    userData: () => pulumi.output(`#cloud-config\nhostname: ${name}\n`),
    labels: {},
  });

  async function buildFleet(providerConfig?: Record<string, unknown>) {
    const parent = new pulumi.ComponentResource("sandfleet:test:Parent", `parent-${Math.random().toString(36).slice(2, 8)}`);
    const site = localProvider.createSite(siteArgs(providerConfig), parent);
    const platform = site.createPlatform({ ...spec("platform", "10.214.1.10"), stableIp: false, publicPorts: [] });
    const workspaces = site.createWorkspacePool({
      name: "standard",
      servers: [spec("ws-standard-1", "10.214.2.10"), spec("ws-standard-2", "10.214.2.11")],
      spread: true,
      spot: false,
      dockerApiSources: ["10.214.0.0/16"],
    });
    // Let the mocked registrations land.
    await valueOf(pulumi.all(workspaces.map((w) => w.privateIp)));
    return { site, platform, workspaces };
  }

  it("creates one private network for the site, named after the stack's fleet", async () => {
    await buildFleet();
    const networks = recorder.ofType(NETWORK_TYPE);
    expect(networks.length).toBeGreaterThanOrEqual(1);
    expect(networks[0].inputs).toMatchObject({ fleet: "pulumi-local", subnet: "10.214.0.0/16" });
  });

  it("boots a test host per server with the core's user-data, role and fixed private IP", async () => {
    await buildFleet();
    const hosts = recorder.ofType(HOST_TYPE);
    const byName = (n: string) => hosts.find((h) => h.inputs.hostName === n)!;
    expect(byName("platform").inputs).toMatchObject({ role: "platform", privateIp: "10.214.1.10", subnet: "10.214.0.0/16" });
    expect(byName("ws-standard-2").inputs).toMatchObject({ role: "workspace", privateIp: "10.214.2.11" });
    expect(byName("ws-standard-1").inputs.userData).toBe("#cloud-config\nhostname: ws-standard-1\n");
  });

  it("serialises a dynamic provider into every host resource, so no provider plugin is needed", async () => {
    await buildFleet();
    for (const host of recorder.ofType(HOST_TYPE)) {
      expect(typeof host.inputs.__provider).toBe("string");
      expect(host.inputs.__provider).toContain("host-lifecycle");
    }
  });

  it("reports servers of provider local, dialled at their private IP (routable from the machine), with the published ports", async () => {
    const { platform, workspaces } = await buildFleet();
    expect(platform.provider).toBe("local");
    expect(await valueOf(platform.publicAddress)).toBe("10.214.1.10");
    for (const ws of workspaces) {
      expect(ws.pool).toBe("standard");
      expect(await valueOf(ws.publicIp)).toBe(await valueOf(ws.privateIp));
      expect(await valueOf(ws.privateIp)).toMatch(/^10\.214\.2\.1[01]$/);
      expect(await valueOf((ws as unknown as { dockerPort: pulumi.Output<number> }).dockerPort)).toBeGreaterThan(1024);
    }
  });

  it("takes the fleet name from sandfleet:local and rejects an invalid one", async () => {
    await buildFleet({ fleet: "mine" });
    expect(recorder.ofType(NETWORK_TYPE).some((n) => n.inputs.fleet === "mine")).toBe(true);
    const parent = new pulumi.ComponentResource("sandfleet:test:Parent", "parent-bad");
    expect(() => localProvider.createSite(siteArgs({ fleet: "Not Valid" }), parent)).toThrow(/fleet must be lower-case letters/);
  });
});
