/**
 * The second `pulumi up`: the stack program runs with config A (the conformance row of each provider), then with
 * config B (one change a user makes), and the two recorded graphs are compared (./support/diff-graphs.ts): which
 * resources are created, deleted, updated in place or replaced, and whether every replacement can happen:
 * delete-before-replace where a fixed name or private IP would collide, and the post-boot step re-run on a
 * replaced server (its id among the step's triggers). Which properties replace is the provider's to decide; the
 * ones taken here are in ./support/replacing-properties.ts, each with its source.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { adminCidrs, fleetCases, stackConfigOf } from "../conformance/fleet-cases";
import { runUpdate, type UpdateResource, type UpdateRun } from "../day2/support/update-model";
import { diffGraphs, urnOf, type GraphDiff } from "./support/diff-graphs";

interface ProviderUnderTest {
  server: string;
  volume: string;
  /** The attachment resource, where the provider has one (Azure attaches disks inside the VM). */
  volumeAttachment?: string;
  firewall: string;
  /** The input a server-type change edits, and the input an `adminCidrs` change edits on the firewall. */
  serverTypeInput: string;
  volumeSizeInput: string;
  firewallInput: string;
  /** Resource name of a server, from its plan name (`ws-standard-1`). */
  serverName: (plan: string) => string;
  /** What makes a server's (or volume's) identity fixed: a replacement must free it first. */
  fixedIdentity: Record<string, (r: UpdateResource) => unknown>;
  /** The next server type of the standard pool. */
  biggerType: string;
  /** A pool change the provider can only apply by replacing the pool's servers, and why; none on Azure (below). */
  forced?: { change: Record<string, unknown>; property: string; /** What the change retires, beside nothing else. */ removes?: string[] };
}

const providers: Record<string, ProviderUnderTest> = {
  hetzner: {
    server: "hcloud:index/server:Server",
    volume: "hcloud:index/volume:Volume",
    volumeAttachment: "hcloud:index/volumeAttachment:VolumeAttachment",
    firewall: "hcloud:index/firewall:Firewall",
    serverTypeInput: "serverType",
    volumeSizeInput: "size",
    firewallInput: "rules",
    serverName: (plan) => `sandfleet-second-up-hetzner-pool-${plan.split("-")[1]}-${plan}-server`,
    // Server names are unique per project, volume names too (checked 2026-12-01, components/hetzner/README.md).
    fixedIdentity: { "hcloud:index/server:Server": (r) => r.inputs.name, "hcloud:index/volume:Volume": (r) => r.inputs.name },
    biggerType: "cx43",
    // Moving a pool to another location of the same network zone (fsn1 → nbg1, both eu-central).
    forced: { change: { location: "nbg1" }, property: "location" },
  },
  aws: {
    server: "aws:ec2/instance:Instance",
    volume: "aws:ebs/volume:Volume",
    volumeAttachment: "aws:ec2/volumeAttachment:VolumeAttachment",
    firewall: "aws:ec2/securityGroup:SecurityGroup",
    serverTypeInput: "instanceType",
    volumeSizeInput: "size",
    firewallInput: "ingress",
    serverName: (plan) => `sandfleet-second-up-${plan}`,
    // Every instance pins its private IP (EC2 answers InvalidIPAddress.InUse while the old one holds it).
    fixedIdentity: { "aws:ec2/instance:Instance": (r) => r.inputs.privateIp },
    biggerType: "m6i.xlarge",
    // Spot on: `instance_market_options` is ForceNew.
    forced: { change: { spot: true }, property: "instanceMarketOptions" },
  },
  azure: {
    server: "azure-native:compute:VirtualMachine",
    volume: "azure-native:compute:Disk",
    firewall: "azure-native:network:NetworkSecurityGroup",
    serverTypeInput: "hardwareProfile",
    volumeSizeInput: "diskSizeGB",
    firewallInput: "securityRules",
    serverName: (plan) => `sandfleet-second-up-${plan}`,
    fixedIdentity: { "azure-native:compute:VirtualMachine": (r) => r.inputs.vmName },
    biggerType: "Standard_D4as_v5",
    // azure-native plans every VM change as an update (it replaces only on URL-path and location changes,
    // pulumi/pulumi-azure-native#577, checked 2026-12-01), so the VM carries `replaceOnChanges` on `priority`
    // (Azure refuses to change it on a live VM), which the diff honours as the engine does.
    // Spot VMs cannot be in an availability set, so the pool's spread set goes once its VMs have left it.
    forced: { change: { spot: true }, property: "priority", removes: ["azure-native:compute:AvailabilitySet::sandfleet-second-up-pool-standard-spread"] },
  },
  gcp: {
    server: "gcp:compute/instance:Instance",
    volume: "gcp:compute/disk:Disk",
    // GCP attaches disks inside the instance (`attachedDisks`), no attachment resource.
    firewall: "gcp:compute/firewall:Firewall",
    serverTypeInput: "machineType",
    volumeSizeInput: "size",
    firewallInput: "sourceRanges",
    serverName: (plan) => `sandfleet-second-up-${plan}`,
    // Instance names are unique per project and zone, and each instance pins its network IP.
    fixedIdentity: { "gcp:compute/instance:Instance": (r) => [r.inputs.name, r.inputs.networkInterfaces?.[0]?.networkIp].join(" ") },
    biggerType: "n2d-standard-4",
    // Spot on: `scheduling.provisioning_model` is ForceNew.
    forced: { change: { spot: true }, property: "scheduling.provisioningModel" },
  },
  digitalocean: {
    server: "digitalocean:index/droplet:Droplet",
    volume: "digitalocean:index/volume:Volume",
    volumeAttachment: "digitalocean:index/volumeAttachment:VolumeAttachment",
    firewall: "digitalocean:index/firewall:Firewall",
    serverTypeInput: "size",
    volumeSizeInput: "size",
    firewallInput: "inboundRules",
    serverName: (plan) => `sandfleet-second-up-${plan}`,
    // Droplet names need not be unique and droplets take their VPC address by DHCP; volume names are unique
    // per region (components/digitalocean/README.md).
    fixedIdentity: { "digitalocean:index/volume:Volume": (r) => r.inputs.name },
    biggerType: "s-8vcpu-16gb",
    // No pool setting of a DigitalOcean fleet replaces its droplets in place of the pool: there is no spot,
    // sizes are resized in place, and a region change moves the pool to another region's VPC (a new pool).
  },
};

/** The registry delivery carries the whole registry (endpoints, server types): it re-runs on most changes. */
const REGISTRY_DELIVERY = /^command:remote:Command::sandfleet-second-up-registry-(registry|client-tls)$/;
const STANDARD_PLANS = ["ws-standard-1", "ws-standard-2", "ws-standard-3"];

type Config = Record<string, any>;
const withStandard = (config: Config, change: Record<string, unknown>): Config => ({
  ...config,
  "sandfleet:pools": { ...config["sandfleet:pools"], standard: { ...config["sandfleet:pools"].standard, ...change } },
});
const urnsOf = (changes: { urn: string }[]) => changes.map((c) => c.urn);
const beyondRegistry = (diff: GraphDiff) => urnsOf(diff.replaced).filter((urn) => !REGISTRY_DELIVERY.test(urn));

describe.each(Object.keys(providers))("the second pulumi up on %s", (provider) => {
  const p = providers[provider];
  const configA = stackConfigOf(fleetCases.find((c) => c.provider === provider && !c.burstElsewhere)!);
  let first: UpdateRun;
  const secondUp = async (configB: Config) => diffGraphs(first, await runUpdate("second-up", configB));
  const serverUrn = (plan: string) => `${p.server}::${p.serverName(plan)}`;
  const stepUrns = (plan: string) => [`command:remote:Command::sandfleet-second-up-${plan}-post-boot-run`, `command:remote:CopyToRemote::sandfleet-second-up-${plan}-post-boot-script`];

  /** Every replaced resource whose name or private IP is fixed is deleted before its successor is created. */
  const expectReplaceable = (diff: GraphDiff) => {
    for (const change of diff.replaced) {
      const identity = p.fixedIdentity[change.after.type]?.(change.after);
      if (identity) expect(change.after.options.deleteBeforeReplace, `${change.urn} keeps ${identity}`).toBe(true);
    }
  };

  beforeAll(async () => {
    first = await runUpdate("second-up", configA);
  }, 120_000);

  it("the same config again plans nothing", async () => {
    const diff = await secondUp(configA);
    expect([diff.added, diff.removed, urnsOf(diff.updated), urnsOf(diff.replaced)]).toEqual([[], [], [], []]);
  }, 60_000);

  it("count up: creates the new server with its volume, attachment and post-boot step; replaces nothing else", async () => {
    const diff = await secondUp(withStandard(configA, { count: 4 }));
    expect(diff.added).toEqual(expect.arrayContaining([serverUrn("ws-standard-4"), ...stepUrns("ws-standard-4")]));
    expect(diff.added.filter((urn) => urn.startsWith(`${p.volume}::`))).toHaveLength(1);
    if (p.volumeAttachment) expect(diff.added.filter((urn) => urn.startsWith(`${p.volumeAttachment}::`))).toHaveLength(1);
    expect(diff.added.every((urn) => urn.includes("ws-standard-4")), diff.added.join("\n")).toBe(true);
    expect(diff.removed).toEqual([]);
    expect(urnsOf(diff.updated)).toEqual([]);
    expect(beyondRegistry(diff)).toEqual([]);
  }, 60_000);

  it("count down: deletes the last server and what belongs to it only", async () => {
    const diff = await secondUp(withStandard(configA, { count: 2 }));
    expect(diff.removed).toEqual(expect.arrayContaining([serverUrn("ws-standard-3"), ...stepUrns("ws-standard-3")]));
    expect(diff.removed.every((urn) => urn.includes("ws-standard-3")), diff.removed.join("\n")).toBe(true);
    expect(diff.added).toEqual([]);
    expect(urnsOf(diff.updated)).toEqual([]);
    expect(beyondRegistry(diff)).toEqual([]);
  }, 60_000);

  it("server type: resizes the pool's servers in place (not a replacement)", async () => {
    const diff = await secondUp(withStandard(configA, { serverType: p.biggerType }));
    expect(urnsOf(diff.updated)).toEqual(STANDARD_PLANS.map(serverUrn));
    for (const change of diff.updated) expect(change.inputs, change.urn).toEqual([p.serverTypeInput]);
    expect([diff.added, diff.removed, beyondRegistry(diff)]).toEqual([[], [], []]);
  }, 60_000);

  it("volume size: grows the pool's volumes in place and re-runs their servers' post-boot steps, which grow the filesystems", async () => {
    const diff = await secondUp(withStandard(configA, { volumeGb: 80 }));
    expect(urnsOf(diff.updated)).toHaveLength(3);
    for (const change of diff.updated) {
      expect(change.after.type, change.urn).toBe(p.volume);
      expect(change.inputs, change.urn).toEqual([p.volumeSizeInput]);
    }
    // The steps' triggers carry the size; their command checks the mount and grows it (--data-device/--data-mount).
    const steps = STANDARD_PLANS.map((plan) => stepUrns(plan)[0]);
    expect(beyondRegistry(diff).sort()).toEqual([...steps].sort());
    for (const step of steps) {
      expect(diff.changeOf(step)?.replacing, step).toEqual(["triggers"]);
      expect(diff.changeOf(step)?.after.inputs.create, step).toMatch(/ --data-device \S+ --data-mount \/var\/lib\/docker$/);
    }
    expect([diff.added, diff.removed]).toEqual([[], []]);
  }, 60_000);

  it("adminCidrs: updates every cloud firewall in place, reloads every host firewall through the post-boot steps, replaces no server", async () => {
    const diff = await secondUp({ ...configA, "sandfleet:adminCidrs": ["203.0.113.0/24"] });
    // Every cloud firewall that admitted the old admin ranges (GCP has one firewall per rule, most without them).
    const admitting = first.mocks.ofType(p.firewall).filter((f) => JSON.stringify(f.inputs).includes(adminCidrs[0]));
    expect(admitting.length).toBeGreaterThan(0);
    const firewalls = diff.updated.filter((c) => c.after.type === p.firewall);
    expect(urnsOf(firewalls).sort()).toEqual(admitting.map(urnOf).sort());
    for (const change of firewalls) expect(change.inputs, change.urn).toContain(p.firewallInput);
    // User-data is read only at creation: the hosts' nftables follow through the steps' ruleset trigger.
    const hostSteps = first.mocks.resources.filter((r) => r.type === "command:remote:Command" && /-(post-boot|readiness)-run$/.test(r.name));
    expect(hostSteps).toHaveLength(6);
    for (const step of hostSteps) expect(diff.changeOf(urnOf(step))?.replacing, step.name).toEqual(["triggers"]);
    expect(diff.replaced.filter((c) => c.after.type === p.server || c.after.type === p.volume)).toEqual([]);
    expect([diff.added, diff.removed]).toEqual([[], []]);
  }, 60_000);

  it("tls.epoch: replaces every key and re-runs every workspace post-boot step; servers and volumes untouched", async () => {
    const diff = await secondUp({ ...configA, "sandfleet:tls": { epoch: 1 } });
    const keys = first.mocks.ofType("tls:index/privateKey:PrivateKey").filter((k) => /docker-tls-(client|ws-.*)-key$/.test(k.name));
    expect(keys.length).toBe(6);
    expect(urnsOf(diff.replaced)).toEqual(expect.arrayContaining(keys.map(urnOf)));
    const workspaceSteps = first.mocks.resources.filter((r) => r.type === "command:remote:Command" && /-ws-[a-z]+-\d+-post-boot-run$/.test(r.name));
    expect(workspaceSteps).toHaveLength(5);
    expect(urnsOf(diff.replaced)).toEqual(expect.arrayContaining(workspaceSteps.map(urnOf)));
    const touched = [...diff.updated, ...diff.replaced].filter((c) => [p.server, p.volume, p.volumeAttachment].includes(c.after.type));
    expect(urnsOf(touched)).toEqual([]);
    expect([diff.added, diff.removed]).toEqual([[], []]);
  }, 60_000);

  it.skipIf(!p.forced)(`forced replacement (${JSON.stringify(p.forced?.change)}): the pool's servers are replaced delete-first, their post-boot steps re-run, other pools untouched`, async () => {
    const forced = p.forced!;
    const diff = await secondUp(withStandard(configA, forced.change));
    for (const plan of STANDARD_PLANS) {
      const server = diff.changeOf(serverUrn(plan));
      expect(server?.replacing, plan).toContain(forced.property);
      expect(server!.after.options.deleteBeforeReplace, plan).toBe(true);
      for (const step of stepUrns(plan)) expect(diff.changeOf(step)?.replacedDependencies, step).toContain(serverUrn(plan));
      expect(urnsOf(diff.replaced), plan).toEqual(expect.arrayContaining(stepUrns(plan)));
    }
    if (p.volumeAttachment) {
      const attachments = diff.replaced.filter((c) => c.after.type === p.volumeAttachment);
      expect(attachments, "each volume attachment follows its new server").toHaveLength(3);
    }
    expect(urnsOf(diff.replaced).filter((urn) => urn.includes("burst") || urn.includes("platform"))).toEqual([]);
    expectReplaceable(diff);
    expect([diff.added, diff.removed]).toEqual([[], forced.removes ?? []]);
  }, 60_000);

  it("every replacement in these changes can happen: fixed names and private IPs are freed first", async () => {
    const changes = [withStandard(configA, { count: 4 }), { ...configA, "sandfleet:tls": { epoch: 1 } }, ...(p.forced ? [withStandard(configA, p.forced.change)] : [])];
    for (const config of changes) expectReplaceable(await secondUp(config));
  }, 120_000);
});
