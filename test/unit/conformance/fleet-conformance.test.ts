/**
 * One contract, every provider: the whole stack program (stacks/index.ts) runs under mocks once per row
 * of the conformance table (./fleet-cases.ts), and the same assertions hold on each resource graph,
 * read through a provider adapter (./adapters). Adding a provider = its adapter + one table row.
 */
import { beforeAll, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { parseRegistry } from "../../../runtime/registry/schema";
import type { ProviderName } from "../../../components/provider";
import { runProgram, type ProgramRun } from "../stack/support/run-program";
import { adapters, coversPort, reaches, WORLD, type ViewServer } from "./adapters";
import { adminCidrs, fleetCases, networkCidr, stackConfigOf, type FleetCase } from "./fleet-cases";

const SSH = 22;
const DOCKER_TLS = 2376;
const DOCKER_PLAIN = 2375;
/** Ports the table's platform serves (load balancer ports [80, 443]). */
const SERVED_PORTS = [80, 443];

interface Fleet {
  run: ProgramRun;
  providers: ProviderName[];
  servers: (ViewServer & { provider: ProviderName })[];
  platform: ViewServer;
  workspaces: ViewServer[];
}

async function buildFleet(c: FleetCase): Promise<Fleet> {
  vi.resetModules();
  const run = await runProgram("conformance", stackConfigOf(c));
  const providers = [...new Set<ProviderName>([c.provider, ...(c.burstElsewhere ? [c.burstElsewhere.provider] : [])])];
  const servers = providers.flatMap((provider) => {
    const adapter = adapters[provider];
    if (!adapter) throw new Error(`no conformance adapter for ${provider}; add one in test/unit/conformance/adapters`);
    return adapter.servers(run.mocks).map((s) => ({ ...s, provider }));
  });
  const platform = servers.find((s) => s.hostname === "platform")!;
  return { run, providers, servers, platform, workspaces: servers.filter((s) => s !== platform) };
}

describe.each(fleetCases.map((c) => [c.label, c] as const))("the %s fleet", (_label, c) => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await buildFleet(c);
  }, 120_000);

  it("has a platform server and every workspace server the config asks for", () => {
    expect(fleet.platform).toBeDefined();
    expect(fleet.workspaces.map((s) => s.hostname).sort()).toEqual(["ws-burst-1", "ws-burst-2", "ws-standard-1", "ws-standard-2", "ws-standard-3"]);
  });

  it("allows the Docker API only on workspace servers, only from the private range or the platform's address", () => {
    const platformAddresses = [fleet.platform.publicIp, fleet.platform.stableIp].filter(Boolean).map((ip) => `${ip}/32`);
    for (const server of fleet.workspaces) {
      const docker = server.rules.filter((r) => coversPort(r, DOCKER_TLS));
      expect(docker.length, `${server.hostname} has no rule for 2376`).toBeGreaterThan(0);
      for (const rule of docker) expect([networkCidr, ...platformAddresses], rule.origin).toEqual(expect.arrayContaining(rule.sources));
    }
    expect(fleet.platform.rules.filter((r) => coversPort(r, DOCKER_TLS))).toEqual([]);
  });

  it("reaches a workspace pool in another provider only from the platform's public /32", () => {
    const remote = fleet.servers.filter((s) => s.provider !== c.provider);
    for (const server of remote) {
      for (const rule of server.rules.filter((r) => coversPort(r, DOCKER_TLS))) {
        expect(rule.sources).toEqual([`${fleet.platform.publicIp}/32`]);
      }
    }
    expect(remote.length).toBe(c.burstElsewhere ? 2 : 0);
  });

  it("never opens the plain Docker port 2375", () => {
    for (const server of fleet.servers) expect(server.rules.filter((r) => coversPort(r, DOCKER_PLAIN)), server.hostname).toEqual([]);
  });

  it("allows SSH only from the admin CIDRs", () => {
    for (const server of fleet.servers) {
      const ssh = server.rules.filter((r) => coversPort(r, SSH));
      expect(ssh.length, server.hostname).toBeGreaterThan(0);
      for (const rule of ssh) expect(adminCidrs, `${server.hostname} ${rule.origin}`).toEqual(expect.arrayContaining(rule.sources));
    }
  });

  it("opens nothing to the whole internet but the ports the platform serves", () => {
    for (const server of fleet.servers) {
      for (const rule of server.rules.filter((r) => r.access === "allow" && r.sources.includes(WORLD))) {
        expect(server.hostname, `world-open rule ${rule.origin} on a workspace server`).toBe("platform");
        const ports = Array.from({ length: rule.toPort - rule.fromPort + 1 }, (_, i) => rule.fromPort + i);
        expect(SERVED_PORTS, rule.origin).toEqual(expect.arrayContaining(ports));
      }
    }
  });

  it("gives every workspace server user-data with runsc as Docker's default runtime", () => {
    for (const server of fleet.workspaces) {
      const doc = parse(server.userData) as { write_files: { path: string; content: string }[] };
      const daemon = doc.write_files.find((f) => f.path === "/etc/docker/daemon.json");
      expect(daemon, server.hostname).toBeDefined();
      expect(JSON.parse(daemon!.content)["default-runtime"]).toBe("runsc");
    }
  });

  it("puts no private key into any user-data", () => {
    for (const server of fleet.servers) {
      expect(server.userData.length).toBeGreaterThan(0);
      expect(server.userData, server.hostname).not.toContain("PRIVATE KEY");
    }
  });

  it("attaches a data volume to every server and encrypts it where the provider offers it", () => {
    for (const server of fleet.servers) {
      expect(server.volumes.length, server.hostname).toBe(1);
      for (const volume of server.volumes) expect(volume.encrypted, volume.origin).not.toBe(false);
    }
  });

  it("gives the platform server a stable public IP, exported as the platform address", () => {
    expect(fleet.platform.stableIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(fleet.run.outputs.platformAddress).toBe(fleet.platform.stableIp);
  });

  it("points the load balancer at the platform server", () => {
    const targets = fleet.providers.flatMap((p) => adapters[p]!.loadBalancerTargets(fleet.run.mocks));
    expect(targets.length).toBeGreaterThan(0);
    expect(new Set(targets)).toEqual(new Set(["platform"]));
    expect(fleet.run.outputs.loadBalancerIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
  });

  it("orders the platform server's place in the load balancer's pool after both, so create and destroy wait for each other", () => {
    // Some resource (the target, the attachment, the NIC, the load balancer itself) must depend on both the
    // pool and the platform server: a pool referenced by a hand-built id carries no dependency, and then
    // the engine creates and deletes the two sides at the same time.
    const mocks = fleet.run.mocks;
    const pools = fleet.providers.flatMap((p) => adapters[p]!.loadBalancerPoolTypes.flatMap((t) => mocks.ofType(t)));
    expect(pools.length).toBeGreaterThan(0);
    for (const pool of pools) {
      const link = mocks.resources.find((r) => reaches(mocks, r, pool) && reaches(mocks, r, fleet.platform.resource));
      expect(link?.name, `nothing depends on both ${pool.name} and the platform server`).toBeDefined();
    }
  });

  it("lists every workspace server in the registry with provider, region, location and tier labels", () => {
    const registry = parseRegistry(JSON.parse(JSON.stringify(fleet.run.registry)));
    expect(registry.endpoints).toHaveLength(fleet.workspaces.length);
    for (const endpoint of registry.endpoints) {
      const expectedProvider = endpoint.serverName?.startsWith("ws-burst") && c.burstElsewhere ? c.burstElsewhere.provider : c.provider;
      expect(endpoint.provider, endpoint.id).toBe(expectedProvider);
      expect(endpoint.region.length).toBeGreaterThan(0);
      expect(endpoint.location.length).toBeGreaterThan(0);
      expect(endpoint.labels).toMatchObject({ provider: endpoint.provider, region: endpoint.region, tier: endpoint.serverName!.split("-")[1] });
      expect(endpoint.runtime).toBe("runsc");
      expect(endpoint.capacity.cpus).toBeGreaterThan(0);
    }
  });
});
