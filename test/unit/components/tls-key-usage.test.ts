/**
 * Key usages of the Docker TLS certificates, read back by openssl from what the local issuer signs (the cloud
 * issuer passes the same profile to @pulumi/tls: test/unit/components/fleet.test.ts). An EC key signs and never
 * enciphers, so no certificate may claim Key Encipherment.
 */
import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { issueDockerTls } from "../../../components/tls/local-issuer";

/** openssl's rendering of a certificate's key usage and extended key usage. */
function usages(certPem: string): { keyUsage: string; extendedKeyUsage: string; keyType: string } {
  const text = execFileSync("openssl", ["x509", "-noout", "-text"], { input: certPem, encoding: "utf8" });
  const after = (heading: string) => new RegExp(`${heading}:[^\\n]*\\n\\s+(.+)`).exec(text)?.[1].trim() ?? "";
  return { keyUsage: after("X509v3 Key Usage"), extendedKeyUsage: after("X509v3 Extended Key Usage"), keyType: /Public Key Algorithm: (\S+)/.exec(text)?.[1] ?? "" };
}

describe("Docker TLS certificates", async () => {
  const tls = await issueDockerTls({ stack: "test", servers: [{ serverName: "ws-1", privateIp: "10.0.1.10" }] });

  it("give the server's EC key Digital Signature only (no Key Encipherment), for TLS server auth", () => {
    expect(usages(tls.servers["ws-1"].certPem)).toEqual({ keyType: "id-ecPublicKey", keyUsage: "Digital Signature", extendedKeyUsage: "TLS Web Server Authentication" });
  });

  it("give the pool's client EC key Digital Signature only, for TLS client auth", () => {
    expect(usages(tls.client.certPem)).toEqual({ keyType: "id-ecPublicKey", keyUsage: "Digital Signature", extendedKeyUsage: "TLS Web Client Authentication" });
  });

  it("let the CA sign certificates and CRLs", () => {
    expect(usages(tls.ca.certPem).keyUsage).toBe("Digital Signature, Certificate Sign, CRL Sign");
  });
});
