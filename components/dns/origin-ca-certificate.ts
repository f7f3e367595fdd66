/**
 * A Cloudflare Origin CA certificate for the proxied platform name (`sandfleet:cloudflare.originCertificate`), so the
 * zone can run SSL mode *Full (strict)*: Cloudflare then checks the origin's certificate, and it trusts its own Origin
 * CA, not the stack's service CA (docs/service-host.md). The key is made here (ECDSA P-256, the stack's key profile)
 * and never leaves the stack state and the SSH session: Cloudflare signs a CSR (`requestType: origin-ecc`).
 *
 * Renewal: OriginCaCertificate (@pulumi/cloudflare 6) has no renewal setting of its own (the old provider's
 * `min_days_for_renewal` is gone), so the certificate renews like every leaf of the stack (components/tls/renewal.ts):
 * its generation, from `tls.epoch` and the renewal period of its validity, is the CSR's OU and the key's
 * replacement trigger; a new generation is a new key and CSR, hence a new certificate (replaceOnChanges on the CSR,
 * created before the old one is revoked), and the install step reloads the service with it.
 *
 * The API token needs Zone → SSL and Certificates → Edit on the zone (besides DNS → Edit for the records).
 */
import * as cloudflare from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { leafGeneration } from "../tls/renewal";
import { dockerTlsProfile } from "../tls/profile";
import { tlsKeyArgs } from "../tls/stack-ca";
import { originCaRenewWithinDays, type OriginCaValidityDays } from "./origin-ca-validity";

export interface OriginCaCertificateArgs {
  /** The proxied DNS name, e.g. `sandbox.example.com`: the certificate's only hostname. */
  readonly hostname: string;
  /** Days the certificate is valid (one of ORIGIN_CA_VALIDITY_DAYS, origin-ca-validity.ts). */
  readonly validityDays: OriginCaValidityDays;
  /** `sandfleet:tls.epoch`: a bump re-issues this certificate too. @default 0 */
  readonly epoch?: number;
  /** Renew with fewer days than this left (`sandfleet:tls.renewWithinDays`), at most a third of the validity. @default 30 */
  readonly renewWithinDays?: number;
}

/** Key `${name}-key`, request `${name}-csr` and Cloudflare certificate `${name}`, children of `parent`. */
export function issueOriginCaCertificate(
  name: string,
  args: OriginCaCertificateArgs,
  parent: pulumi.Resource,
): { certPem: pulumi.Output<string>; keyPem: pulumi.Output<string>; expiresOn: pulumi.Output<string>; certificate: cloudflare.OriginCaCertificate } {
  const generation = leafGeneration({
    epoch: args.epoch,
    validityHours: args.validityDays * 24,
    renewWithinDays: originCaRenewWithinDays(args.validityDays, args.renewWithinDays),
  });
  const key = new tls.PrivateKey(`${name}-key`, tlsKeyArgs(), { parent, replacementTrigger: generation });
  const request = new tls.CertRequest(
    `${name}-csr`,
    {
      privateKeyPem: key.privateKeyPem,
      // Cloudflare takes the names from `hostnames`; the subject says whose key it is and which generation.
      subject: { commonName: args.hostname, organization: dockerTlsProfile.organization, organizationalUnit: generation },
      dnsNames: [args.hostname],
    },
    { parent },
  );
  const certificate = new cloudflare.OriginCaCertificate(
    name,
    {
      csr: request.certRequestPem,
      hostnames: [args.hostname],
      requestType: "origin-ecc",
      requestedValidity: args.validityDays,
    },
    // An Origin CA certificate cannot be changed, only revoked: a new CSR (renewal) or name is a new certificate,
    // created before the old one is deleted (Pulumi's default order), so the service always has one Cloudflare accepts.
    { parent, replaceOnChanges: ["csr", "hostnames", "requestType", "requestedValidity"] },
  );
  return {
    certPem: certificate.certificate,
    // PKCS#8, secret.
    keyPem: pulumi.secret(key.privateKeyPemPkcs8),
    expiresOn: certificate.expiresOn,
    certificate,
  };
}
