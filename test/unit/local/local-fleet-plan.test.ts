/**
 * The pure parts of the local fleet: host plan, user-data, registry file, options, image recipe,
 * and the stack file Pulumi.local.yaml run through the whole program under mocks.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { renderCloudConfig } from "../../../cloud-init";
import { issueDockerTls, LocalDockerTls } from "../../../components/tls/local-issuer";
import { localHostChanges } from "../../../components/local/host-lifecycle";
import { planHosts, resolveFleetOptions } from "../../../local/fleet";
import { subnetAddresses } from "../../../local/hosts";
import { buildLocalRegistry, writeRegistryFile } from "../../../local/registry-file";
import { TARGET_DEBIAN } from "../../../cloud-init/debian-release";
import { debianSourcesFile, machineDebianMirrors } from "../../../local/debian-sources";
import { testHostImageTag, testHostRecipeHash } from "../../../local/test-host-image";
import { parseRegistry, readRegistryFile } from "../../../runtime/registry/schema";
import { parseStackConfig } from "../../../stacks/config";
import { runProgram, stackFileConfig } from "../stack/support/run-program";
import { readableUserData } from "../../support/cloud-init-files";

const DEPLOY_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHN4bmRmbGVldC10ZXN0LWtleS1ub3QtcmVhbA sandfleet-local-deploy";

describe("the local fleet plan", () => {
  const plans = planHosts({ platforms: 1, workspaces: 2, subnet: "10.213.0.0/24" }, DEPLOY_KEY);

  it("puts the platform host first and gives every host a fixed private IP from .10 upwards", () => {
    expect(plans.map((p) => [p.name, p.role, p.privateIp])).toEqual([
      ["platform-1", "platform", "10.213.0.10"],
      ["ws-1", "workspace", "10.213.0.11"],
      ["ws-2", "workspace", "10.213.0.12"],
    ]);
  });

  it("asks cloud-init for Debian's Docker and runsc with systrap and no sandbox network, as these machines need", () => {
    for (const plan of plans) {
      expect(plan.cloudConfig.docker).toEqual({ packageSource: "distro", gvisorPlatform: "systrap", gvisorNetwork: "none", prePullImages: [] });
    }
  });

  it("opens the Docker API only to the private network, and only on workspace hosts", () => {
    expect(plans.find((p) => p.role === "platform")!.cloudConfig.dockerApiSources).toEqual([]);
    for (const ws of plans.filter((p) => p.role === "workspace")) expect(ws.cloudConfig.dockerApiSources).toEqual(["10.213.0.0/24"]);
  });

  it("allows SSH only from the engine's address on the private network, where published ports arrive from", () => {
    for (const plan of plans) expect(plan.cloudConfig.adminCidrs).toEqual(["10.213.0.1/32"]);
  });

  it("renders user-data with the deploy public key and no private key", () => {
    for (const plan of plans) {
      const userData = renderCloudConfig(plan.cloudConfig);
      expect(userData.startsWith("#cloud-config")).toBe(true);
      expect(userData).toContain(DEPLOY_KEY);
      expect(readableUserData(userData)).not.toMatch(/PRIVATE KEY/);
    }
  });

  it("refuses a subnet smaller than a /25, not starting at .0, or not IPv4, saying what to use", () => {
    expect(() => subnetAddresses("10.213.0.0/28")).toThrow(/\/25 or larger/);
    expect(() => subnetAddresses("10.213.0.128/25")).toThrow(/starting at \.0/);
    expect(subnetAddresses("10.213.0.0/25").hostIp(100)).toBe("10.213.0.110");
    expect(() => subnetAddresses("10.213.0.0/25").hostIp(101)).toThrow(/out of range \(0-100\)/);
    expect(() => subnetAddresses("fd00::/64")).toThrow(/e\.g\. 10\.213\.0\.0\/24/);
  });
});

describe("the local fleet options", () => {
  it("default to one platform host, two workspace hosts and the fleet 'local' under .sandfleet/local", () => {
    const options = resolveFleetOptions({}, {});
    expect([options.fleet, options.platforms, options.workspaces, options.subnet]).toEqual(["local", 1, 2, "10.213.0.0/24"]);
    expect(options.stateDir.endsWith(join(".sandfleet", "local"))).toBe(true);
  });

  it("take host counts from the environment when no flag is given", () => {
    expect(resolveFleetOptions({}, { SANDFLEET_LOCAL_WORKSPACES: "4" }).workspaces).toBe(4);
    expect(resolveFleetOptions({ workspaces: 3 }, { SANDFLEET_LOCAL_WORKSPACES: "4" }).workspaces).toBe(3);
  });

  it("reject a count that is not a whole number, naming the flag and the variable", () => {
    expect(() => resolveFleetOptions({}, { SANDFLEET_LOCAL_WORKSPACES: "two" })).toThrow(/--workspaces, SANDFLEET_LOCAL_WORKSPACES/);
    expect(() => resolveFleetOptions({ workspaces: 0 }, {})).toThrow(/from 1 to 50/);
  });

  it("reject a fleet name Docker resources cannot carry", () => {
    expect(() => resolveFleetOptions({ fleet: "My Fleet" }, {})).toThrow(/lower-case letters/);
  });
});

describe("the local registry", () => {
  let tls: LocalDockerTls;
  beforeAll(async () => {
    tls = await issueDockerTls({ stack: "local", servers: [{ serverName: "ws-1", privateIp: "10.213.0.11" }] });
  });
  const workspaces = [
    { name: "ws-1", role: "workspace" as const, containerId: "a", containerName: "sandfleet-local-ws-1", privateIp: "10.213.0.11", sshPort: 40001, dockerPort: 40002 },
    { name: "ws-2", role: "workspace" as const, containerId: "b", containerName: "sandfleet-local-ws-2", privateIp: "10.213.0.12", sshPort: 40003, dockerPort: 40004 },
  ];

  it("lists every workspace host at 127.0.0.1 on its published Docker port, with runsc, valid against the schema", () => {
    const registry = buildLocalRegistry({ fleet: "local", tls, workspaces });
    expect(registry.endpoints.map((e) => [e.id, e.host, e.port, e.serverName, e.runtime])).toEqual([
      ["local-local-ws-1", "127.0.0.1", 40002, "ws-1", "runsc"],
      ["local-local-ws-2", "127.0.0.1", 40004, "ws-2", "runsc"],
    ]);
    expect(() => parseRegistry(JSON.parse(JSON.stringify(registry)))).not.toThrow();
  });

  it("is written readable by its owner only, since it holds the client key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-reg-"));
    try {
      const path = join(dir, "nested", "registry.json");
      writeRegistryFile(path, buildLocalRegistry({ fleet: "local", tls, workspaces }));
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect((await readRegistryFile(path)).tls.clientKey).toContain("PRIVATE KEY");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the test-host image recipe", () => {
  it("has a stable tag derived from the recipe, so an unchanged recipe reuses the cached image", () => {
    expect(testHostRecipeHash()).toMatch(/^[0-9a-f]{12}$/);
    expect(testHostImageTag()).toBe(`sandfleet-local/test-host:${testHostRecipeHash()}`);
  });

  it("reads the mirrors from the machine's deb822 sources, falling back to deb.debian.org", () => {
    const dir = mkdtempSync(join(tmpdir(), "sf-src-"));
    try {
      const sources =
        "Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n\n" +
        "Types: deb\nURIs: http://security.example/debian-security\nSuites: bookworm-security\n";
      writeFileSync(join(dir, "debian.sources"), sources);
      expect(machineDebianMirrors(join(dir, "debian.sources"))).toEqual({
        archive: "http://mirror.example/debian",
        security: "http://security.example/debian-security",
      });
      expect(machineDebianMirrors(join(dir, "missing.sources"))).toEqual({
        archive: "http://deb.debian.org/debian",
        security: "http://deb.debian.org/debian-security",
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("points the test hosts' apt at the renderer's target release (trixie) on the machine's mirrors, security included", () => {
    const file = debianSourcesFile({ archive: "http://mirror.example/debian", security: "http://security.example/debian-security" });
    expect(TARGET_DEBIAN).toEqual({ version: "13", codename: "trixie" });
    expect(file).toContain("URIs: http://mirror.example/debian\nSuites: trixie trixie-updates\n");
    expect(file).toContain("URIs: http://security.example/debian-security\nSuites: trixie-security\n");
    expect(file).not.toContain("bookworm");
  });
});

describe("a local host's update", () => {
  const inputs = { fleet: "f", hostName: "ws-1", role: "workspace" as const, privateIp: "10.0.0.10", subnet: "10.0.0.0/24", userData: "#cloud-config\n" };

  it("replaces the host when its user-data changes (the container is the server)", () => {
    expect(localHostChanges(inputs, { ...inputs, userData: "#cloud-config\nx: 1\n" })).toEqual(["userData"]);
  });

  it("changes nothing when the inputs are the same", () => {
    expect(localHostChanges(inputs, { ...inputs })).toEqual([]);
  });
});

describe("the shipped Pulumi.local.yaml", () => {
  it("passes the stack config validation with the Debian packages and runsc settings these machines need", () => {
    const config = parseStackConfig(stackFileConfig("Pulumi.local.yaml"), "local");
    expect(config.provider).toBe("local");
    expect(config.docker).toMatchObject({ packageSource: "distro", gvisorPlatform: "systrap", gvisorNetwork: "none" });
  });

  it("runs through the whole program under mocks, booting one test host per server and no private key in user-data", async () => {
    const run = await runProgram("local", stackFileConfig("Pulumi.local.yaml"));
    const hosts = run.mocks.ofType("pulumi-nodejs:dynamic/sandfleet:LocalHost");
    expect(hosts.map((h) => h.inputs.role).sort()).toEqual(["platform", "workspace", "workspace"]);
    for (const host of hosts) {
      expect(host.inputs.fleet).toBe("pulumi-local");
      expect(host.inputs.userData).toMatch(/^#cloud-config/);
      expect(readableUserData(host.inputs.userData)).not.toMatch(/PRIVATE KEY/);
    }
    // The core lists workspaces at their private IP and 2376, which the machine running Pulumi reaches on Linux.
    expect(run.registry.endpoints.map((e) => [e.host, e.port])).toEqual(
      hosts.filter((h) => h.inputs.role === "workspace").map((h) => [h.inputs.privateIp, 2376]),
    );
  });
});
