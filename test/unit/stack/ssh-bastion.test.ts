/**
 * `sandfleet:ssh.bastion`: the jump host that lets `pulumi up` run from a machine whose address is not in
 * adminCidrs (a hosted CI runner). The config rules, then the program under mocks: every SSH step goes through it.
 */
import { beforeAll, describe, expect, it, vi } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig, stackConfigWarnings, StackConfigError, unreachableDeployProblem } from "../../../stacks/config";
import { FRESH_SERVER_DIAL_ERROR_LIMIT, JUMP_HOST_DIAL_ERROR_LIMIT, resolveSshConnection } from "../../../components/post-boot/ssh-connection";
import { runProgram, stackFileConfig, type ProgramRun } from "./support/run-program";
import { secretValue } from "../../support/secret-inputs";

const JUMP_HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJumpHostKeyForTests0000000000000000000000 root@jump";
const JUMP_PRIVATE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\njump\n-----END OPENSSH PRIVATE KEY-----\n";

const base = (bastion: Record<string, unknown> | undefined, adminCidrs = ["198.51.100.0/24"]): Record<string, unknown> => ({
  "sandfleet:provider": "hetzner",
  "sandfleet:location": "fsn1",
  "sandfleet:adminCidrs": adminCidrs,
  "sandfleet:platform": { serverType: "cx23" },
  "sandfleet:pools": { standard: { count: 2, serverType: "cx33", maxContainers: 10 } },
  ...(bastion ? { "sandfleet:ssh": { bastion } } : {}),
});

function rejection(raw: Record<string, unknown>): string {
  try {
    parseStackConfig(raw, "test");
  } catch (err) {
    expect(err).toBeInstanceOf(StackConfigError);
    return (err as Error).message;
  }
  throw new Error("expected the config to be rejected");
}

describe("the sandfleet:ssh.bastion config", () => {
  it("is absent by default: the machine running pulumi up dials the servers itself", () => {
    expect(parseStackConfig(base(undefined), "test").ssh).toEqual({});
  });

  it("accepts a jump host inside adminCidrs, with port 22 and no private-network reach by default", () => {
    const config = parseStackConfig(base({ host: "198.51.100.10", user: "deploy", hostKey: JUMP_HOST_KEY }), "test");
    expect(config.ssh.bastion).toEqual({ host: "198.51.100.10", port: 22, user: "deploy", hostKey: JUMP_HOST_KEY, reachesPrivateNetwork: false });
    expect(stackConfigWarnings(config).filter((w) => w.includes("ssh.bastion"))).toEqual([]);
  });

  it("reads the engine's string form (the whole section as JSON, numbers and booleans as strings)", () => {
    const raw = { ...base(undefined), "sandfleet:ssh": JSON.stringify({ bastion: { host: "198.51.100.10", user: "deploy", port: "2222", reachesPrivateNetwork: "true" } }) };
    expect(parseStackConfig(raw, "test").ssh.bastion).toMatchObject({ port: 2222, reachesPrivateNetwork: true });
  });

  it("refuses a jump host outside adminCidrs, whose SSH the servers' firewalls would drop, and names the fix", () => {
    expect(rejection(base({ host: "192.0.2.50", user: "deploy" }))).toContain(
      "sandfleet:ssh.bastion.host: 192.0.2.50 is not inside any adminCidrs range, so the servers' cloud and host firewalls drop its SSH; add 192.0.2.50/32 to sandfleet:adminCidrs",
    );
    expect(rejection(base({ host: "2001:db8::10", user: "deploy" }))).toContain("add 2001:db8::10/128 to sandfleet:adminCidrs");
    expect(parseStackConfig(base({ host: "2001:db8::10", user: "deploy" }, ["198.51.100.0/24", "2001:db8::/64"]), "test").ssh.bastion?.host).toBe("2001:db8::10");
  });

  it("requires host and user, and refuses unknown keys", () => {
    const message = rejection(base({ port: 22 }));
    expect(message).toContain("sandfleet:ssh.bastion.host: is required; set the jump host's fixed address");
    expect(message).toContain("sandfleet:ssh.bastion.user: is required; set the login user on the jump host");
    expect(rejection(base({ host: "198.51.100.10", user: "deploy", hostname: "x" }))).toContain("sandfleet:ssh.bastion.hostname: unknown key");
  });

  it("refuses a host that is neither an address nor a name, a bad port, a public key as private key, a private key as host key", () => {
    expect(rejection(base({ host: "jump host", user: "deploy" }))).toContain("sandfleet:ssh.bastion.host: must be the jump host's fixed IP address or DNS name");
    expect(rejection(base({ host: "198.51.100.10", user: "deploy", port: 70000 }))).toContain("sandfleet:ssh.bastion.port: a port is 1-65535");
    expect(rejection(base({ host: "198.51.100.10", user: "deploy", privateKey: JUMP_HOST_KEY }))).toContain(
      "sandfleet:ssh.bastion.privateKey: is not a PEM/OpenSSH private key; set it with 'pulumi config set --secret --path sandfleet:ssh.bastion.privateKey < key'",
    );
    expect(rejection(base({ host: "198.51.100.10", user: "deploy", hostKey: JUMP_PRIVATE_KEY }))).toContain("sandfleet:ssh.bastion.hostKey: is not an OpenSSH public host key");
  });

  it("warns when the jump host is a name (its address cannot be checked) or its host key is not pinned", () => {
    const warnings = stackConfigWarnings(parseStackConfig(base({ host: "jump.example.com", user: "deploy" }), "test"));
    expect(warnings).toContainEqual(expect.stringContaining("sandfleet:ssh.bastion.host: jump.example.com is a name, so sandfleet cannot check that its address is inside adminCidrs"));
    expect(warnings).toContainEqual(expect.stringContaining("sandfleet:ssh.bastion.hostKey: not set, so the jump host's identity is not checked"));
  });
});

describe("the dev stack with a jump host, under mocks", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    vi.resetModules();
    const config = stackFileConfig("Pulumi.dev.yaml");
    run = await runProgram("dev", {
      ...config,
      "sandfleet:adminCidrs": ["198.51.100.0/24"],
      "sandfleet:ssh": { bastion: { host: "198.51.100.10", port: 2222, user: "deploy", privateKey: JUMP_PRIVATE_KEY, hostKey: JUMP_HOST_KEY } },
    });
  });

  it("sends every SSH step (post-boot, platform readiness, registry delivery) through the jump host", () => {
    const steps = run.mocks.ofType("command:remote:Command");
    expect(steps.length).toBeGreaterThanOrEqual(run.registry.endpoints.length + 2);
    for (const step of steps) {
      const connection = secretValue(step.inputs.connection);
      expect(connection.proxy, step.name).toEqual({
        host: "198.51.100.10",
        port: 2222,
        user: "deploy",
        privateKey: JUMP_PRIVATE_KEY,
        hostKey: JUMP_HOST_KEY,
        dialErrorLimit: JUMP_HOST_DIAL_ERROR_LIMIT,
        perDialTimeout: 15,
      });
      // The hop from the jump host to a fresh server still waits for it to boot.
      expect(connection.dialErrorLimit, step.name).toBe(FRESH_SERVER_DIAL_ERROR_LIMIT);
      expect(connection.privateKey, step.name).toContain("PRIVATE KEY");
      expect(connection.privateKey, step.name).not.toBe(JUMP_PRIVATE_KEY);
    }
  });

  it("dials the servers' public addresses from the jump host, which adminCidrs admits", () => {
    const publicHosts = new Set(run.registry.endpoints.map((e) => e.publicHost));
    for (const step of run.mocks.ofType("command:remote:Command").filter((c) => c.name.endsWith("-post-boot-run"))) {
      expect(publicHosts.has(secretValue(step.inputs.connection).host), step.name).toBe(true);
    }
  });

  it("gives up on an unreachable jump host after about a minute, not after the fresh servers' half hour", () => {
    expect(JUMP_HOST_DIAL_ERROR_LIMIT * 15).toBeLessThanOrEqual(60);
    expect(FRESH_SERVER_DIAL_ERROR_LIMIT * 15).toBe(30 * 60);
  });

  it("keeps the jump host's key out of every output", async () => {
    for (const [key, value] of Object.entries(run.outputs)) {
      if (key === "deployPrivateKey" || key === "endpointRegistry") continue;
      expect(JSON.stringify(value) ?? "", key).not.toContain("BEGIN OPENSSH PRIVATE KEY-----\njump");
    }
    expect(await pulumi.isSecret(run.program.endpointRegistry)).toBe(true);
  });
});

describe("a jump host and servers without a public address", () => {
  const jumpHost = { host: "198.51.100.10", user: "deploy" };
  const privateOnly = { publicIp: undefined, privateIp: "10.0.109.10", user: "root", privateKey: "k", bastion: { host: "203.0.113.5", user: "root" } };

  it("dials their private addresses through the jump host when it reaches the private network", () => {
    expect(resolveSshConnection({ ...privateOnly, jumpHost: { ...jumpHost, reachesPrivateNetwork: true } })).toMatchObject({
      host: "10.0.109.10",
      proxy: { host: "198.51.100.10", port: 22, user: "deploy", privateKey: "k" },
    });
  });

  it("refuses otherwise, because the platform hop cannot be chained behind the jump host, and names the fix", () => {
    expect(() => resolveSshConnection({ ...privateOnly, jumpHost })).toThrow(
      "server 10.0.109.10 has no public address, so only the platform server reaches it, and sandfleet:ssh.bastion cannot chain a second hop; give the servers public addresses, set sandfleet:ssh.bastion.reachesPrivateNetwork: true",
    );
  });

  it("still goes through the platform server when no jump host is set", () => {
    expect(resolveSshConnection(privateOnly)).toMatchObject({ host: "10.0.109.10", proxy: { host: "203.0.113.5", user: "root" } });
  });
});

describe("pulumi up on a GitHub-hosted runner without a jump host", () => {
  const hetzner = () => parseStackConfig(base(undefined), "test");

  it("is refused before anything is created, naming sandfleet:ssh.bastion and the self-hosted alternative", () => {
    expect(unreachableDeployProblem(hetzner(), "github-hosted")).toBe(
      "sandfleet:ssh.bastion: is not set, and pulumi up runs on a GitHub-hosted runner (SANDFLEET_RUNNER_ENVIRONMENT=github-hosted), " +
        "whose address is in no adminCidrs range, so every post-boot SSH step would redial for 30 minutes and fail; " +
        "set sandfleet:ssh.bastion to a jump host inside adminCidrs, or run the deploy on a self-hosted runner inside adminCidrs (see docs/operations.md, Deploying from CI)",
    );
  });

  it("is fine with a jump host, on a self-hosted runner, outside GitHub, and for a local-only stack", () => {
    expect(unreachableDeployProblem(parseStackConfig(base({ host: "198.51.100.10", user: "deploy" }), "test"), "github-hosted")).toBeUndefined();
    expect(unreachableDeployProblem(hetzner(), "self-hosted")).toBeUndefined();
    expect(unreachableDeployProblem(hetzner(), undefined)).toBeUndefined();
    const local = parseStackConfig(stackFileConfig("Pulumi.local.yaml"), "local");
    expect(unreachableDeployProblem(local, "github-hosted")).toBeUndefined();
  });

  describe.each([
    ["an update stops the program", false],
    ["a preview only warns", true],
  ])("the program: %s", (_, preview) => {
    it("reads SANDFLEET_RUNNER_ENVIRONMENT, which the deploy workflow sets", async () => {
      vi.resetModules();
      process.env.SANDFLEET_RUNNER_ENVIRONMENT = "github-hosted";
      const warnings: string[] = [];
      try {
        const { installPulumiMocks } = await import("../../support/pulumi-mocks");
        installPulumiMocks({ stack: "dev", preview, config: { "hcloud:token": "mock-token", ...stackFileConfig("Pulumi.dev.yaml") } });
        const log = await import("@pulumi/pulumi/log");
        const warn = vi.spyOn(log, "warn").mockImplementation(async (message: string) => void warnings.push(message));
        const loading = import("../../../stacks/read-stack-config").then((m) => m.readStackConfig());
        if (preview) {
          await expect(loading).resolves.toBeDefined();
          expect(warnings).toContainEqual(expect.stringContaining("sandfleet:ssh.bastion: is not set, and pulumi up runs on a GitHub-hosted runner"));
        } else {
          await expect(loading).rejects.toThrow("sandfleet:ssh.bastion: is not set, and pulumi up runs on a GitHub-hosted runner");
        }
        warn.mockRestore();
      } finally {
        delete process.env.SANDFLEET_RUNNER_ENVIRONMENT;
      }
    });
  });
});
