/** Outputs of provider-neutral resources: @pulumi/tls keys and certs, @pulumi/command steps, @pulumi/random, Cloudflare's Origin CA. */
import type { OutputsFn } from "./index";

const fakePem = (block: string, n: number) =>
  `-----BEGIN ${block}-----\nMOCK${n}${"A".repeat(60)}\n-----END ${block}-----\n`;

export const outputs: Record<string, OutputsFn> = {
  "tls:index/privateKey:PrivateKey": (args, n) => ({
    privateKeyPem: fakePem(args.inputs.algorithm === "ECDSA" ? "EC PRIVATE KEY" : "RSA PRIVATE KEY", n),
    privateKeyPemPkcs8: fakePem("PRIVATE KEY", n),
    privateKeyOpenssh: fakePem("OPENSSH PRIVATE KEY", n),
    publicKeyPem: fakePem("PUBLIC KEY", n),
    publicKeyOpenssh: `ecdsa-sha2-nistp256 AAAAmock${n} sandfleet\n`,
  }),
  "tls:index/selfSignedCert:SelfSignedCert": (args, n) => ({
    certPem: fakePem("CERTIFICATE", n),
    validityStartTime: "2026-01-01T00:00:00Z",
    validityEndTime: "2036-01-01T00:00:00Z",
  }),
  "tls:index/certRequest:CertRequest": (_args, n) => ({ certRequestPem: fakePem("CERTIFICATE REQUEST", n) }),
  "tls:index/locallySignedCert:LocallySignedCert": (_args, n) => ({
    certPem: fakePem("CERTIFICATE", n),
    validityStartTime: "2026-01-01T00:00:00Z",
    validityEndTime: "2027-01-01T00:00:00Z",
  }),
  // Cloudflare signs the CSR it is given; the mock answers with a certificate PEM and the expiry the validity implies.
  "cloudflare:index/originCaCertificate:OriginCaCertificate": (args, n) => ({
    certificate: fakePem("CERTIFICATE", n),
    expiresOn: new Date(Date.UTC(2026, 0, 1) + Number(args.inputs.requestedValidity ?? 5475) * 86_400_000).toISOString(),
  }),
  "command:remote:Command": (args) => ({ stdout: args.inputs.__mockStdout ?? mockedCommandStdout(args.inputs.create), stderr: "" }),
  "command:remote:CopyToRemote": () => ({}),
  "random:index/randomId:RandomId": (_args, n) => ({ hex: `feed${n}`, b64Std: `mock${n}` }),
  "random:index/randomPassword:RandomPassword": (_args, n) => ({ result: `mock-password-${n}` }),
};

export const calls = {};

/**
 * The post-boot script (cloud-init/post-boot/install-docker-tls.sh) ends with a success line on a real
 * host; under mocks, a command that runs it "succeeds" the same way, so the registry lists the server.
 */
function mockedCommandStdout(create: unknown): string {
  if (typeof create !== "string" || !create.includes("install-docker-tls.sh")) return "";
  const listen = /--listen-address '?([0-9.]+)'?/.exec(create)?.[1] ?? "127.0.0.1";
  return `SANDFLEET_POST_BOOT_OK ${JSON.stringify({ defaultRuntime: "runsc", serverVersion: "mock", tlsListener: `${listen}:2376` })}\n`;
}
