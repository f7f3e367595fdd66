/**
 * Scaling on the whole stack program: growing or shrinking a pool, or adding a pool, changes only the
 * servers that come or go (with their volume, cert and post-boot step) and the registry. Every other
 * server keeps its name, private IP, user-data and labels, so `pulumi up` updates nothing on it.
 * Runs go through the update model (./support/update-model.ts), which keeps each resource's state across
 * runs as an engine does, so any input difference below would be a real diff in `pulumi preview`.
 */
import { describe, expect, it } from "vitest";
import { runUpdate, type UpdateResource, type UpdateRun } from "./support/update-model";

const baseConfig = (pools: Record<string, unknown>) => ({
  "sandfleet:provider": "hetzner",
  "sandfleet:location": "fsn1",
  "sandfleet:networkCidr": "10.0.0.0/16",
  "sandfleet:adminCidrs": ["198.51.100.0/24"],
  "sandfleet:platform": { serverType: "cx23", volumeGb: 10, floatingIp: true },
  "sandfleet:pools": pools,
});
const standard = (count: number) => ({ count, serverType: "cx33", volumeGb: 20, maxContainers: 10, labels: { tier: "standard" } });

const run = (pools: Record<string, unknown>): Promise<UpdateRun> => runUpdate("dev", baseConfig(pools));

/** The registry delivery carries the whole registry: it changes whenever an endpoint comes or goes. */
const REGISTRY_DELIVERY = /-registry-(registry|client-tls)$/;

interface GraphDiff {
  added: UpdateResource[];
  removed: UpdateResource[];
  changed: string[];
}

/** What `pulumi preview` would show between two runs: created, deleted and updated resources (by name). */
function diff(before: UpdateRun, after: UpdateRun): GraphDiff {
  const old = new Map(before.mocks.resources.map((r) => [r.name, r]));
  const now = new Map(after.mocks.resources.map((r) => [r.name, r]));
  return {
    added: after.mocks.resources.filter((r) => !old.has(r.name)),
    removed: before.mocks.resources.filter((r) => !now.has(r.name)),
    changed: after.mocks.resources
      .filter((r) => old.has(r.name))
      .filter((r) => JSON.stringify(r.inputs) !== JSON.stringify(old.get(r.name)!.inputs) || JSON.stringify(r.options) !== JSON.stringify(old.get(r.name)!.options))
      .map((r) => r.name)
      .sort(),
  };
}

const serverOf = (run: UpdateRun, serverName: string) =>
  run.mocks.ofType("hcloud:index/server:Server").find((s) => s.inputs.name.endsWith(serverName) && s.name.endsWith(`-${serverName}-server`))!;

/** What a server is, as the provider receives it. */
const identity = (server: UpdateResource) => ({
  name: server.inputs.name,
  privateIp: server.inputs.networks[0].ip,
  userData: server.inputs.userData,
  labels: server.inputs.labels,
});

const countByType = (resources: UpdateResource[]) =>
  resources.reduce<Record<string, number>>((acc, r) => ({ ...acc, [r.type]: (acc[r.type] ?? 0) + 1 }), {});

/** Everything that belongs to one new workspace server: server, volume (and its name's suffix), attachment, TLS leaf, post-boot step. */
const oneServersWorth = {
  "hcloud:index/server:Server": 1,
  "hcloud:index/volume:Volume": 1,
  "random:index/randomId:RandomId": 1,
  "hcloud:index/volumeAttachment:VolumeAttachment": 1,
  "tls:index/privateKey:PrivateKey": 1,
  "tls:index/certRequest:CertRequest": 1,
  "tls:index/locallySignedCert:LocallySignedCert": 1,
  "sandfleet:post-boot:PostBootStep": 1,
  "command:remote:CopyToRemote": 1,
  "command:remote:Command": 1,
};

describe("scaling a pool", () => {
  it("grows 3 -> 4 by adding exactly one server's resources, leaving servers 1-3 and everything else unchanged", async () => {
    const three = await run({ standard: standard(3) });
    const four = await run({ standard: standard(4) });

    for (const name of ["ws-standard-1", "ws-standard-2", "ws-standard-3"]) {
      const [a, b] = [serverOf(three, name), serverOf(four, name)];
      expect(identity(b), name).toEqual(identity(a));
      expect(b.inputs, name).toEqual(a.inputs);
    }
    expect(three.mocks.ofType("hcloud:index/server:Server").map((s) => s.inputs.networks[0].ip).sort()).toEqual(["10.0.0.10", "10.0.109.10", "10.0.109.11", "10.0.109.12"]);
    expect(identity(serverOf(four, "ws-standard-4")).privateIp).toBe("10.0.109.13");

    const change = diff(three, four);
    expect(change.removed).toEqual([]);
    expect(countByType(change.added)).toEqual(oneServersWorth);
    for (const r of change.added) expect(r.name, r.type).toMatch(/ws-standard-4/);
    expect(change.changed.filter((n) => !REGISTRY_DELIVERY.test(n))).toEqual([]);
    expect(change.changed.length).toBeGreaterThan(0);

    expect(four.registry.endpoints.map((e) => e.id)).toEqual([...three.registry.endpoints.map((e) => e.id), "hetzner-fsn1-standard-4"]);
    expect(four.registry.endpoints.slice(0, 3)).toEqual(three.registry.endpoints);
    expect(four.registry.tls).toEqual(three.registry.tls);
  });

  it("shrinks 4 -> 3 by removing only the 4th server's resources", async () => {
    const four = await run({ standard: standard(4) });
    const three = await run({ standard: standard(3) });
    const change = diff(four, three);
    expect(change.added).toEqual([]);
    expect(countByType(change.removed)).toEqual(oneServersWorth);
    for (const r of change.removed) expect(r.name, r.type).toMatch(/ws-standard-4/);
    expect(change.changed.filter((n) => !REGISTRY_DELIVERY.test(n))).toEqual([]);
    expect(three.registry.endpoints.map((e) => e.id)).toEqual(["hetzner-fsn1-standard-1", "hetzner-fsn1-standard-2", "hetzner-fsn1-standard-3"]);
  });

  it("adds a second pool without changing any input of the first pool's servers, volumes, firewall or endpoints", async () => {
    const one = await run({ standard: standard(3) });
    const two = await run({ standard: standard(3), large: { count: 2, serverType: "cx43", maxContainers: 20, labels: { tier: "large" } } });
    const change = diff(one, two);
    expect(change.removed).toEqual([]);
    expect(change.changed.filter((n) => !REGISTRY_DELIVERY.test(n))).toEqual([]);
    const addedServers = change.added.filter((r) => r.type === "hcloud:index/server:Server").map((r) => r.inputs.name);
    expect(addedServers).toHaveLength(2);
    for (const name of addedServers) expect(name).toMatch(/ws-large-[12]$/);
    // The new pool gets its own block, its own firewall and placement group.
    expect(change.added.map((r) => r.type)).toEqual(expect.arrayContaining(["hcloud:index/firewall:Firewall", "hcloud:index/placementGroup:PlacementGroup"]));
    const largeIps = change.added.filter((r) => r.type === "hcloud:index/server:Server").map((r) => r.inputs.networks[0].ip as string);
    for (const ip of largeIps) expect(ip.split(".").slice(0, 3).join(".")).not.toBe("10.0.109");
    for (const name of ["ws-standard-1", "ws-standard-2", "ws-standard-3"]) {
      expect(identity(serverOf(two, name)), name).toEqual(identity(serverOf(one, name)));
    }
    const standardEndpoints = two.registry.endpoints.filter((e) => e.labels.pool === "standard");
    expect(standardEndpoints).toEqual(one.registry.endpoints);
    expect(two.registry.endpoints.filter((e) => e.labels.pool === "large")).toHaveLength(2);
  });
});
