/**
 * Cloudflare's SSL mode Full (strict) in the stack graph (mock tier): with `sandfleet:cloudflare.originCertificate`
 * the prod stack issues a Cloudflare Origin CA certificate for its proxied name (ECDSA P-256 key, CSR, origin-ecc
 * certificate), hands key and certificate to the service's install step as secrets, next to the stack-CA leaf, and
 * renews it with the stack's epoch. The handshake itself (SNI picks the certificate) runs for real in
 * test/engine/service-origin-sni.test.ts; the config rules are below.
 */
import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { runProgram, stackFileConfig, type ProgramRun } from "./support/run-program";
import { secretValue, unwrapSecret } from "../../support/secret-inputs";
import { parseServiceConfig } from "../../../service/config";
import { originCaRenewWithinDays } from "../../../components/dns/origin-ca-validity";
import { parseStackConfig, StackConfigError } from "../../../stacks/config";

const ORIGIN_TYPE = "cloudflare:index/originCaCertificate:OriginCaCertificate";
const decodeFileSet = (stdin: string) =>
  Object.fromEntries(
    stdin
      .trim()
      .split("\n")
      .map((line) => line.split(" "))
      .map(([, path, mode, owner, content]) => [path, { mode, owner, content: Buffer.from(content!, "base64").toString("utf8") }]),
  );

describe("the prod stack with originCertificate under mocks", () => {
  let run: ProgramRun;
  const named = (suffix: string) => run.mocks.resources.find((r) => r.name.endsWith(suffix))!;
  const install = () => named("-service-install");

  beforeAll(async () => {
    vi.resetModules();
    run = await runProgram("prod", stackFileConfig("Pulumi.prod.yaml"));
  });

  it("issues one Origin CA certificate for the proxied name from an ECDSA P-256 key's CSR (origin-ecc, 365 days)", () => {
    const [origin, ...more] = run.mocks.ofType(ORIGIN_TYPE);
    expect(more).toEqual([]);
    const key = named("-service-origin-key");
    const csr = named("-service-origin-csr");
    expect(key.type).toBe("tls:index/privateKey:PrivateKey");
    expect(key.inputs).toMatchObject({ algorithm: "ECDSA", ecdsaCurve: "P256" });
    expect(csr.inputs).toMatchObject({ dnsNames: ["sandbox.example.com"], subject: { commonName: "sandbox.example.com" } });
    expect(unwrapSecret(csr.inputs.privateKeyPem)).toBe(key.state.privateKeyPem);
    expect(origin!.inputs).toEqual({ csr: csr.state.certRequestPem, hostnames: ["sandbox.example.com"], requestType: "origin-ecc", requestedValidity: 365 });
    // The certificate's name says whose it is; it sits under the service that serves it.
    expect(origin!.name).toBe("sandfleet-prod-service-origin");
  });

  it("keeps the origin key secret: the CSR gets it as a secret, the install step's stdin too, no trigger or plain input holds it", () => {
    const key = named("-service-origin-key");
    secretValue(named("-service-origin-csr").inputs.privateKeyPem);
    const files = decodeFileSet(secretValue(install().inputs.stdin));
    const keyFile = files["/etc/sandfleet-service/tls/sandbox.example.com.key.pem"]!;
    expect(keyFile.content.trim()).toBe(key.state.privateKeyPemPkcs8.trim());
    expect(keyFile).toMatchObject({ mode: "0440", owner: "root:sandfleet-service" });
    const plain = JSON.stringify(run.mocks.resources.map((r) => Object.fromEntries(Object.entries(r.inputs).filter(([, v]) => unwrapSecret(v) === v))));
    expect(plain).not.toContain(key.state.privateKeyPemPkcs8.trim().split("\n")[1]);
    expect(plain).not.toContain(key.state.privateKeyPem.trim().split("\n")[1]);
  });

  it("installs the origin certificate next to the stack-CA leaf and names it in the config by SNI, which the service accepts", () => {
    const files = decodeFileSet(secretValue(install().inputs.stdin));
    const origin = run.mocks.ofType(ORIGIN_TYPE)[0]!;
    expect(files["/etc/sandfleet-service/tls/sandbox.example.com.cert.pem"]).toMatchObject({ mode: "0444", content: origin.state.certificate });
    const config = parseServiceConfig(JSON.parse(files["/etc/sandfleet-service/config.json"]!.content));
    expect(config.tls).toEqual({
      certFile: "/etc/sandfleet-service/tls/cert.pem",
      keyFile: "/etc/sandfleet-service/tls/key.pem",
      byServerName: [
        { serverName: "sandbox.example.com", certFile: "/etc/sandfleet-service/tls/sandbox.example.com.cert.pem", keyFile: "/etc/sandfleet-service/tls/sandbox.example.com.key.pem" },
      ],
    });
    // The default pair is still the stack-CA leaf, whose SANs keep the addresses serviceCaCert clients dial.
    expect(files["/etc/sandfleet-service/tls/cert.pem"]!.content).toContain(run.outputs.serviceCaCert as string);
    expect(named("-service-csr").inputs.ipAddresses).toContain("127.0.0.1");
  });

  it("re-installs when the origin certificate changes: the install's trigger is the digest of the file set that holds it", () => {
    const stdin = secretValue(install().inputs.stdin) as string;
    expect(stdin).toContain(Buffer.from(run.mocks.ofType(ORIGIN_TYPE)[0]!.state.certificate.trim() + "\n").toString("base64"));
    expect(install().inputs.triggers).toContain(createHash("sha256").update(stdin).digest("hex"));
  });

  it("renews it with the stack's epoch: a bump is a new key and a new CSR subject, hence a new Cloudflare certificate", async () => {
    vi.resetModules();
    const bumped = await runProgram("prod", { ...stackFileConfig("Pulumi.prod.yaml"), "sandfleet:tls": { epoch: 7 } });
    const key = bumped.mocks.resources.find((r) => r.name.endsWith("-service-origin-key"))!;
    const csr = bumped.mocks.resources.find((r) => r.name.endsWith("-service-origin-csr"))!;
    expect(csr.inputs.subject.organizationalUnit).toMatch(/^epoch-7\.renewal-\d+$/);
    expect(named("-service-origin-csr").inputs.subject.organizationalUnit).toMatch(/^epoch-0\.renewal-\d+$/);
    expect(key.inputs).toMatchObject({ algorithm: "ECDSA", ecdsaCurve: "P256" });
  });
});

describe("originCertificate off", () => {
  it("issues nothing from Cloudflare's Origin CA and configures no SNI certificate (the dev stack, and prod with enabled: false)", async () => {
    vi.resetModules();
    const prod = stackFileConfig("Pulumi.prod.yaml") as Record<string, any>;
    const run = await runProgram("prod", { ...prod, "sandfleet:cloudflare": { ...prod["sandfleet:cloudflare"], originCertificate: { enabled: false } } });
    expect(run.mocks.ofType(ORIGIN_TYPE)).toEqual([]);
    const install = run.mocks.resources.find((r) => r.name.endsWith("-service-install"))!;
    const files = decodeFileSet(secretValue(install.inputs.stdin));
    expect(Object.keys(files).filter((p) => p.startsWith("/etc/sandfleet-service/tls/"))).toEqual(["/etc/sandfleet-service/tls/cert.pem", "/etc/sandfleet-service/tls/key.pem"]);
    expect(JSON.parse(files["/etc/sandfleet-service/config.json"]!.content).tls.byServerName).toBeUndefined();
  });
});

describe("the originCertificate stack config", () => {
  const prod = stackFileConfig("Pulumi.prod.yaml") as Record<string, any>;
  const withCloudflare = (cloudflare: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ ...prod, "sandfleet:cloudflare": { ...prod["sandfleet:cloudflare"], ...cloudflare }, ...extra });
  const problems = (config: Record<string, unknown>) => {
    try {
      parseStackConfig(config, "prod");
    } catch (err) {
      expect(err).toBeInstanceOf(StackConfigError);
      return (err as StackConfigError).problems;
    }
    return [];
  };

  it("is off unless enabled, 365 days when on", () => {
    expect(parseStackConfig(withCloudflare({ originCertificate: undefined }), "prod").cloudflare!.originCertificate).toEqual({ enabled: false, validityDays: 365 });
    expect(parseStackConfig(prod, "prod").cloudflare!.originCertificate).toEqual({ enabled: true, validityDays: 365 });
    expect(parseStackConfig(withCloudflare({ originCertificate: { enabled: "true", validityDays: "5475" } }), "prod").cloudflare!.originCertificate).toEqual({ enabled: true, validityDays: 5475 });
  });

  it("refuses it on an unproxied record: only Cloudflare trusts the Origin CA, so it names proxied and the way back", () => {
    expect(problems(withCloudflare({ proxied: false }))).toEqual([
      expect.stringMatching(/^sandfleet:cloudflare\.originCertificate\.enabled: is true but cloudflare\.proxied is false.*set cloudflare\.proxied: true.*or originCertificate\.enabled: false/),
    ]);
  });

  it("refuses it without the sandbox service, which is what serves it", () => {
    expect(problems(withCloudflare({}, { "sandfleet:service": { enabled: false } }))).toEqual([
      expect.stringMatching(/^sandfleet:cloudflare\.originCertificate\.enabled: is true but sandfleet:service\.enabled is false.*set service\.enabled: true/),
    ]);
  });

  it("refuses it without a Cloudflare zone and domain, naming both keys", () => {
    const config = { ...prod, "sandfleet:cloudflare": { originCertificate: { enabled: true } } };
    const found = problems(config);
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^sandfleet:cloudflare\.zoneId: is required with any sandfleet:cloudflare setting \(records, originCertificate\)/),
        expect.stringMatching(/^sandfleet:cloudflare\.domain: is required .*set the zone's domain, e.g\. example\.com/),
      ]),
    );
  });

  it("takes only the validities Cloudflare issues", () => {
    expect(problems(withCloudflare({ originCertificate: { enabled: true, validityDays: 100 } }))).toEqual([
      expect.stringMatching(/^sandfleet:cloudflare\.originCertificate\.validityDays: must be one of 7, 30, 90, 365, 730, 1095, 5475 days/),
    ]);
    expect(problems(withCloudflare({ originCertificate: { enabled: true, validityDays: 90 } }))).toEqual([]);
  });

  it("renews inside the stack's window, never a third of the validity or more", () => {
    expect(originCaRenewWithinDays(365, 30)).toBe(30);
    expect(originCaRenewWithinDays(30, 30)).toBe(10);
    expect(originCaRenewWithinDays(7, undefined)).toBe(2);
    expect(originCaRenewWithinDays(5475, undefined)).toBe(30);
  });
});
