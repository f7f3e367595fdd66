import { beforeAll, describe, expect, it, vi } from "vitest";
import { runProgram, stackFileConfig, type ProgramRun } from "../stack/support/run-program";
import { awsUserData } from "../conformance/adapters/aws";

describe("the mixed example stack (Pulumi.mixed.yaml: Hetzner platform + standard pool, AWS spot burst pool)", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    vi.resetModules();
    run = await runProgram("mixed", stackFileConfig("Pulumi.mixed.yaml"));
  }, 120_000);

  it("lists the Hetzner pool by private address and the AWS pool by public address", () => {
    const byPool = (tier: string) => run.registry.endpoints.filter((e) => e.labels.tier === tier);
    expect(byPool("standard").map((e) => e.provider)).toEqual(["hetzner", "hetzner", "hetzner"]);
    for (const e of byPool("standard")) expect(e.host).toMatch(/^10\.0\./);
    expect(byPool("burst").map((e) => [e.provider, e.region, e.location])).toEqual([
      ["aws", "eu-central-1", "eu-central-1a"],
      ["aws", "eu-central-1", "eu-central-1a"],
    ]);
    for (const e of byPool("burst")) expect(e.host).toBe(e.publicHost);
  });

  it("runs the burst pool on spot instances whose Docker API admits only the platform's public IP", () => {
    const platform = run.mocks.ofType("hcloud:index/server:Server").find((s) => /^hostname: platform$/m.test(s.inputs.userData))!;
    const instances = run.mocks.ofType("aws:ec2/instance:Instance");
    expect(instances).toHaveLength(2);
    for (const instance of instances) {
      expect(instance.inputs.instanceMarketOptions.marketType).toBe("spot");
      expect(awsUserData(instance)).toContain(`${platform.state.ipv4Address}/32`);
    }
    const docker = run.mocks
      .ofType("aws:ec2/securityGroup:SecurityGroup")
      .flatMap((sg) => sg.inputs.ingress)
      .filter((rule: any) => rule.fromPort <= 2376 && 2376 <= rule.toPort);
    expect(docker.map((rule: any) => rule.cidrBlocks)).toEqual([[`${platform.state.ipv4Address}/32`]]);
  });

  it("issues the AWS servers' certificates for their public addresses", () => {
    for (const endpoint of run.registry.endpoints.filter((e) => e.provider === "aws")) {
      const csr = run.mocks.resources.find((r) => r.type === "tls:index/certRequest:CertRequest" && r.name.endsWith(`-${endpoint.serverName}-csr`));
      expect(csr?.inputs.ipAddresses).toContain(endpoint.publicHost);
    }
  });
});
