import { beforeAll, describe, expect, it, vi } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { endpointSchema, parseRegistry } from "../../../runtime/registry/schema";
import { coversPort, inboundRulesOf, WORLD } from "../conformance/adapters";
import { runProgram, stackFileConfig, type ProgramRun } from "./support/run-program";
import { secretValue } from "../../support/secret-inputs";
import { readableUserData } from "../../support/cloud-init-files";

/** Workspace servers of every provider the stacks use, with their user-data. */
const serverTypes: Record<string, (inputs: Record<string, any>) => string | undefined> = {
  "hcloud:index/server:Server": (inputs) => inputs.userData,
};

function servers(run: ProgramRun) {
  return run.mocks.resources
    .filter((r) => serverTypes[r.type])
    .map((r) => ({ name: r.name, resource: r, userData: serverTypes[r.type](r.inputs) ?? "" }));
}

function workspaceServers(run: ProgramRun) {
  return servers(run).filter((s) => /^hostname: ws-/m.test(s.userData));
}

describe.each([
  ["dev", "Pulumi.dev.yaml"],
  ["prod", "Pulumi.prod.yaml"],
])("the %s stack (%s) under mocks", (stack, file) => {
  let run: ProgramRun;
  beforeAll(async () => {
    vi.resetModules();
    run = await runProgram(stack, stackFileConfig(file));
  });

  it("lists one registry endpoint per configured workspace server", () => {
    const config = stackFileConfig(file)["sandfleet:pools"] as Record<string, { count: number }>;
    const expected = Object.values(config).reduce((n, p) => n + p.count, 0);
    expect(run.registry.endpoints).toHaveLength(expected);
    expect(workspaceServers(run)).toHaveLength(expected);
  });

  it("never opens SSH or the Docker ports to the internet", () => {
    const rules = run.mocks.resources.flatMap(inboundRulesOf);
    expect(rules.length).toBeGreaterThan(0);
    const open = rules.filter((rule) => rule.sources.includes(WORLD) && [22, 2375, 2376].some((port) => coversPort(rule, port)));
    expect(open).toEqual([]);
  });

  it("opens SSH only to the admin CIDRs", () => {
    const admin = stackFileConfig(file)["sandfleet:adminCidrs"] as string[];
    const ssh = run.mocks.resources.flatMap(inboundRulesOf).filter((rule) => coversPort(rule, 22));
    expect(ssh.length).toBeGreaterThan(0);
    for (const rule of ssh) expect(admin).toEqual(expect.arrayContaining(rule.sources));
  });

  it("never mentions the plain Docker port 2375 anywhere", () => {
    for (const r of run.mocks.resources) expect(JSON.stringify(r.inputs), r.name).not.toMatch(/(^|[^0-9])2375([^0-9]|$)/);
  });

  it("gives every workspace server user-data with runsc as Docker's default runtime", () => {
    for (const server of workspaceServers(run)) {
      const doc = parse(server.userData) as { write_files: { path: string; content: string }[] };
      const daemon = doc.write_files.find((f) => f.path === "/etc/docker/daemon.json");
      expect(daemon, server.name).toBeDefined();
      expect(JSON.parse(daemon!.content)["default-runtime"]).toBe("runsc");
    }
  });

  it("puts no private key into any user-data", () => {
    const all = servers(run);
    expect(all.length).toBeGreaterThan(workspaceServers(run).length);
    for (const server of all) expect(readableUserData(server.userData)).not.toContain("PRIVATE KEY");
  });

  it("issues every server certificate for all the addresses the registry lists", () => {
    for (const endpoint of run.registry.endpoints) {
      const csr = run.mocks.resources.find((r) => r.type === "tls:index/certRequest:CertRequest" && r.name.endsWith(`-${endpoint.serverName}-csr`));
      expect(csr, endpoint.serverName).toBeDefined();
      const sans = [...(csr!.inputs.ipAddresses ?? []), ...(csr!.inputs.dnsNames ?? [])];
      for (const address of [endpoint.host, endpoint.publicHost, endpoint.serverName].filter(Boolean)) expect(sans).toContain(address);
    }
  });

  it("exports a registry whose every entry validates against the runtime's schema", async () => {
    expect(() => parseRegistry(JSON.parse(JSON.stringify(run.registry)))).not.toThrow();
    for (const endpoint of run.registry.endpoints) expect(endpointSchema.safeParse(endpoint).success).toBe(true);
    expect(run.registry.tls.clientKey).toContain("PRIVATE KEY");
    expect(await pulumi.isSecret(run.program.endpointRegistry)).toBe(true);
  });

  it("attaches every volume to the server it was made for", () => {
    const volumes = run.mocks.ofType("hcloud:index/volume:Volume");
    const attachments = run.mocks.ofType("hcloud:index/volumeAttachment:VolumeAttachment");
    expect(attachments).toHaveLength(volumes.length);
    const byId = new Map(run.mocks.resources.map((r) => [String(r.state.__id ?? r.id), r]));
    for (const attachment of attachments) {
      const volume = byId.get(String(attachment.inputs.volumeId));
      const server = byId.get(String(attachment.inputs.serverId));
      expect(volume?.type).toBe("hcloud:index/volume:Volume");
      expect(server?.type).toBe("hcloud:index/server:Server");
      // Both carry the server's name: `<fleet>-...-ws-standard-1-server` and `...-ws-standard-1-volume`.
      expect(volume!.name.replace(/-volume$/, "")).toBe(server!.name.replace(/-server$/, ""));
      expect(volume!.inputs.location ?? server!.inputs.location).toBe(server!.inputs.location);
    }
  });

  it("sends the TLS material to the post-boot step as a secret on stdin, never in the command", () => {
    const runs = run.mocks.ofType("command:remote:Command").filter((c) => c.name.endsWith("-post-boot-run"));
    expect(runs).toHaveLength(run.registry.endpoints.length);
    for (const step of runs) {
      expect(step.inputs.create).not.toContain("PRIVATE KEY");
      expect(secretValue(step.inputs.stdin)).toContain("PRIVATE KEY");
      expect(secretValue(step.inputs.connection).dialErrorLimit).toBeGreaterThanOrEqual(60);
    }
  });

  it("delivers the registry to the platform server", () => {
    const delivery = run.mocks.ofType("command:remote:Command").find((c) => c.name.endsWith("-registry-registry"));
    expect(delivery?.inputs.create).toContain("/etc/sandfleet/registry.json");
    expect(delivery?.inputs.create).not.toContain("PRIVATE KEY");
    expect(JSON.parse(secretValue(delivery!.inputs.stdin)).endpoints).toHaveLength(run.registry.endpoints.length);
  });

  it("binds the platform's floating IP on the platform server itself (Hetzner routes it but does not configure it)", () => {
    const platform = servers(run).find((s) => /^hostname: platform$/m.test(s.userData));
    expect(platform, "the platform server").toBeDefined();
    expect(readableUserData(platform!.userData)).toContain(`addresses="${run.outputs.platformAddress}"`);
    for (const ws of workspaceServers(run)) expect(readableUserData(ws.userData)).not.toContain("sandfleet-extra-addresses");
  });

  it("waits for the platform server's cloud-init before the registry goes there", () => {
    const readiness = run.mocks.ofType("command:remote:Command").filter((c) => c.name.endsWith("-readiness-run"));
    expect(readiness).toHaveLength(1);
    expect(readiness[0].inputs.create).toMatch(/install-docker-tls\.sh --role platform --wait-only --firewall( --data-device \S+ --data-mount \S+)?$/);
    expect(readiness[0].inputs.create).not.toContain("--listen-address");
  });

  it("exports the stack's cost estimate, the same figures as `sandfleet cost` computes from the stack file", async () => {
    const { parseStackConfig } = await import("../../../stacks/config");
    const { costStackOutput } = await import("../../../cost");
    const expected = costStackOutput(parseStackConfig(stackFileConfig(file), stack)).summary;
    expect(expected, "the shipped stack's server types are priced").toBeDefined();
    expect(run.outputs.costEstimate).toEqual(expected);
    expect((run.outputs.costEstimate as { slots: number }).slots).toBe(run.registry.endpoints.reduce((n, e) => n + e.maxContainers, 0));
  });

  it("exports the platform address and an SSH command for admins", () => {
    expect(run.outputs.platformAddress).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(run.outputs.sshCommand).toContain(`@${run.outputs.platformAddress}`);
  });
});

describe("the prod stack's extras", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    vi.resetModules();
    run = await runProgram("prod", stackFileConfig("Pulumi.prod.yaml"));
  });

  it("points the Cloudflare record at the load balancer", () => {
    const records = run.mocks.ofType("cloudflare:index/dnsRecord:DnsRecord");
    expect(records).toHaveLength(1);
    expect(records[0].inputs).toMatchObject({ name: "sandbox.example.com", type: "A", content: run.outputs.loadBalancerIp, proxied: true, ttl: 1 });
    expect(run.outputs.platformDnsName).toBe("sandbox.example.com");
  });

  it("labels endpoints by pool and tier for affinity rules", () => {
    const tiers = new Set(run.registry.endpoints.map((e) => `${e.labels.pool}/${e.labels.tier}`));
    expect(tiers).toEqual(new Set(["standard/standard", "burst/burst"]));
  });
});

describe("the program with a server type the price tables do not know", () => {
  it("warns about the missing cost estimate instead of failing the deployment", async () => {
    vi.resetModules();
    const warn = vi.spyOn(pulumi.log, "warn").mockImplementation(() => Promise.resolve());
    try {
      const config = stackFileConfig("Pulumi.dev.yaml");
      const pools = config["sandfleet:pools"] as Record<string, Record<string, unknown>>;
      const run = await runProgram("dev", {
        ...config,
        "sandfleet:pools": { standard: { ...pools.standard, serverType: "cx99" } },
        "sandfleet:hetzner": { extraServerTypes: { cx99: { cpus: 16, memoryMb: 32768, diskGb: 320 } } },
      });
      expect(run.registry.endpoints).toHaveLength(2);
      expect(run.outputs.costEstimate).toBeUndefined();
      expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^cost estimate skipped: .*cx99/));
    } finally {
      warn.mockRestore();
    }
  });
});

describe("the program with an invalid stack config", () => {
  it("stops before creating anything, listing each problem with its key and fix", async () => {
    vi.resetModules();
    const config = { ...stackFileConfig("Pulumi.dev.yaml"), "sandfleet:adminCidrs": ["0.0.0.0/0"], "sandfleet:platfrom": {} };
    const { installPulumiMocks } = await import("../../support/pulumi-mocks");
    const mocks = installPulumiMocks({ stack: "dev", config });
    const imported = import("../../../stacks/index");
    await expect(imported).rejects.toThrow(/sandfleet:adminCidrs: 0\.0\.0\.0\/0 opens SSH to the internet[\s\S]*sandfleet:platfrom: unknown key/);
    expect(mocks.resources).toEqual([]);
  });
});
