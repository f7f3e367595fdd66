/**
 * The sandbox service in the stack graph (mock tier): what `pulumi up` creates to install it on the platform, in
 * which order, with which secrets, and what it opens. The install itself runs for real in
 * test/e2e/local-service.test.ts (the same script and file set, over SSH to a test host).
 */
import { beforeAll, describe, expect, it, vi } from "vitest";
import { runProgram, stackFileConfig, type ProgramRun } from "./support/run-program";
import { secretValue } from "../../support/secret-inputs";
import { coversPort, inboundRulesOf, WORLD } from "../conformance/adapters";
import { serviceApiKeyHash } from "../../../components/service/api-key";
import { SERVICE_NODE } from "../../../components/service/node-runtime";
import { parseStackConfig, StackConfigError } from "../../../stacks/config";
import { platformNodeArch } from "../../../stacks/providers";
import { readableUserData } from "../../support/cloud-init-files";

const decodeFileSet = (stdin: string) =>
  Object.fromEntries(
    stdin
      .trim()
      .split("\n")
      .map((line) => line.split(" "))
      .map(([, path, , , content]) => [path, Buffer.from(content, "base64").toString("utf8")]),
  );

describe("the dev stack's sandbox service under mocks", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    vi.resetModules();
    run = await runProgram("dev", stackFileConfig("Pulumi.dev.yaml"));
  });
  const install = () => run.mocks.resources.find((r) => r.type === "command:remote:Command" && r.name.endsWith("-service-install"))!;

  it("copies the install script, the pinned Node and the bundle, then runs the install after the registry delivery", () => {
    const copies = run.mocks.resources.filter((r) => r.type === "command:remote:CopyToRemote" && r.name.includes("-service-"));
    expect(copies.map((c) => c.name.replace(/^.*-service-/, "")).sort()).toEqual(["bundle", "node", "script"]);
    const node = copies.find((c) => c.name.endsWith("-service-node"))!;
    expect(node.inputs.remotePath).toBe("/var/lib/sandfleet/node-runtime.tgz");
    const registry = run.mocks.resources.find((r) => r.name.endsWith("-registry-registry"))!;
    const urnOf = (name: string) => expect.stringContaining(`::${name}`);
    expect(install().dependencies).toEqual(expect.arrayContaining([urnOf(registry.name), ...copies.map((c) => urnOf(c.name))]));
    expect(install().inputs.create).toContain(`--node-integrity ${SERVICE_NODE.tarballs.x64.integrity}`);
  });

  it("sends the TLS key and the key's hash on stdin as a secret, never the key, and keeps only digests in triggers", () => {
    // 43 alphanumerics after sfk_: the service's key format (base64url characters, 256 bits).
    const random = run.mocks.resources.find((r) => r.type === "random:index/randomPassword:RandomPassword" && r.name.endsWith("-service-initial-key"))!;
    expect(random.inputs).toMatchObject({ length: 43, special: false });
    const apiKey = run.outputs.serviceApiKey as string;
    expect(apiKey).toMatch(/^sfk_/);
    const files = decodeFileSet(secretValue(install().inputs.stdin));
    const config = JSON.parse(files["/etc/sandfleet-service/config.json"]);
    expect(config.bootstrapKeys).toEqual([{ name: "stack-initial", sha256: serviceApiKeyHash(apiKey) }]);
    expect(files["/etc/sandfleet-service/tls/key.pem"]).toMatch(/PRIVATE KEY/);
    const everything = JSON.stringify(run.mocks.resources.map((r) => r.inputs));
    expect(everything).not.toContain(apiKey);
    for (const trigger of install().inputs.triggers) expect(JSON.stringify(trigger)).not.toMatch(/PRIVATE KEY|sfk_/);
  });

  it("opens 443 to the internet on the platform (no load balancer in dev) and still never 22 or 2376", () => {
    const rules = run.mocks.resources.flatMap(inboundRulesOf);
    expect(rules.some((rule) => rule.sources.includes(WORLD) && coversPort(rule, 443))).toBe(true);
    expect(rules.filter((rule) => rule.sources.includes(WORLD) && [22, 2376].some((p) => coversPort(rule, p)))).toEqual([]);
    const platform = run.mocks.resources.find((r) => r.type === "hcloud:index/server:Server" && /^hostname: platform/m.test(r.inputs.userData))!;
    expect(readableUserData(platform.inputs.userData)).toContain("tcp dport { 443 } accept");
  });

  it("outputs the URL on 443 of the stable address, the key as a secret and the CA clients trust", async () => {
    expect(run.outputs.serviceUrl).toMatch(/^https:\/\/[0-9.]+$/);
    expect(await pulumiIsSecret(run.program.serviceApiKey)).toBe(true);
    expect(run.outputs.serviceCaCert).toMatch(/BEGIN CERTIFICATE/);
  });
});

describe("the local stack's sandbox service under mocks (pulumi up -s local)", () => {
  it("outputs the URL where the platform's 443 is published on 127.0.0.1, a URL curl reaches on any engine", async () => {
    vi.resetModules();
    const run = await runProgram("local", stackFileConfig("Pulumi.local.yaml"));
    const platform = run.mocks.resources.find((r) => r.type === "pulumi-nodejs:dynamic/sandfleet:LocalHost" && r.inputs.role === "platform")!;
    expect(platform.state.servicePort).toBeGreaterThan(0);
    expect(run.outputs.serviceUrl).toBe(`https://127.0.0.1:${platform.state.servicePort}`);
    // 127.0.0.1 is a SAN of the service's certificate, so `curl --cacert` verifies it at that address.
    const csr = run.mocks.resources.find((r) => r.type === "tls:index/certRequest:CertRequest" && r.name.endsWith("-service-csr"))!;
    expect(csr.inputs.ipAddresses).toContain("127.0.0.1");
  });
});

describe("the sandbox service's stack config", () => {
  const base = stackFileConfig("Pulumi.dev.yaml");

  it("refuses a load balancer that forwards nothing to 443 while the service is on, naming the fix", () => {
    const config = { ...base, "sandfleet:platform": { serverType: "cx23", loadBalancer: { enabled: true, ports: [80] } } };
    expect(() => parseStackConfig(config, "dev")).toThrow(StackConfigError);
    expect(() => parseStackConfig(config, "dev")).toThrow(/sandfleet:platform\.loadBalancer\.ports: forwards nothing to 443.*sandfleet:service\.enabled: false/);
    expect(() => parseStackConfig({ ...config, "sandfleet:service": { enabled: false } }, "dev")).not.toThrow();
  });

  it("ships arm64 Node to an Arm platform (Hetzner cax) and x64 otherwise, unless service.nodeArch says", () => {
    const arch = (platform: Record<string, unknown>, service: Record<string, unknown> = {}) =>
      platformNodeArch(parseStackConfig({ ...base, "sandfleet:platform": platform, "sandfleet:service": service }, "dev"));
    expect(arch({ serverType: "cax11" })).toBe("arm64");
    expect(arch({ serverType: "cx23" })).toBe("x64");
    expect(arch({ serverType: "cx23" }, { nodeArch: "arm64" })).toBe("arm64");
  });
});

/** Whether a stack output is marked secret (what `pulumi stack output` hides without --show-secrets). */
function pulumiIsSecret(output: unknown): Promise<boolean> | boolean {
  return (output as { isSecret: Promise<boolean> }).isSecret;
}
