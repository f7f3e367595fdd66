/**
 * A certificate authority of the stack's own, as @pulumi/tls resources: the Docker mTLS CA (docker-tls.ts) and the
 * sandbox service's HTTPS CA (components/service/sandbox-service.ts) are two of them, with the same key type,
 * lifetime and uses from the one certificate profile (profile.ts); only the subject differs. Their leaves are issued
 * by {@link issueStackLeaf}, one path for all, so every leaf renews the same way (renewal.ts: its generation).
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { dockerTlsProfile } from "./profile";

/** The profile's key type, for every key of a stack (CAs and leaves). */
export const tlsKeyArgs = (): tls.PrivateKeyArgs => ({
  algorithm: dockerTlsProfile.key.algorithm,
  ecdsaCurve: dockerTlsProfile.key.ecdsaCurve,
});

export interface StackCa {
  readonly key: tls.PrivateKey;
  readonly cert: tls.SelfSignedCert;
}

/** The CA's key `${name}-ca-key` and self-signed certificate `${name}-ca`, children of `parent`. */
export function createStackCa(name: string, commonName: pulumi.Input<string>, parent: pulumi.Resource): StackCa {
  const key = new tls.PrivateKey(`${name}-ca-key`, tlsKeyArgs(), { parent });
  const cert = new tls.SelfSignedCert(
    `${name}-ca`,
    {
      privateKeyPem: key.privateKeyPem,
      isCaCertificate: true,
      validityPeriodHours: dockerTlsProfile.ca.validityHours,
      allowedUses: dockerTlsProfile.ca.allowedUses,
      subject: { commonName, organization: dockerTlsProfile.organization },
    },
    { parent },
  );
  return { key, cert };
}

export interface StackLeafArgs {
  readonly ca: StackCa;
  readonly commonName: pulumi.Input<string>;
  readonly allowedUses: readonly string[];
  /** Subject alternative names (server leaves). */
  readonly sans?: pulumi.Input<{ ipAddresses: string[]; dnsNames: string[] }>;
  readonly validityHours: number;
  /**
   * {@link leafGeneration}: the subject OU (a new cert request, so a new signed cert) and the key's replacement
   * trigger (a new key). `earlyRenewalHours` is not used: it does not renew reliably (pulumi-tls#39).
   */
  readonly generation: string;
}

/** A leaf key `${name}-key`, request `${name}-csr` and cert `${name}-cert` signed by the stack CA, children of `parent`. */
export function issueStackLeaf(name: string, args: StackLeafArgs, parent: pulumi.Resource): { certPem: pulumi.Output<string>; keyPem: pulumi.Output<string> } {
  const key = new tls.PrivateKey(`${name}-key`, tlsKeyArgs(), { parent, replacementTrigger: args.generation });
  const sans = args.sans ? pulumi.output(args.sans) : undefined;
  const request = new tls.CertRequest(
    `${name}-csr`,
    {
      privateKeyPem: key.privateKeyPem,
      subject: { commonName: args.commonName, organization: dockerTlsProfile.organization, organizationalUnit: args.generation },
      ...(sans ? { ipAddresses: sans.ipAddresses, dnsNames: sans.dnsNames } : {}),
    },
    { parent },
  );
  const cert = new tls.LocallySignedCert(
    `${name}-cert`,
    {
      certRequestPem: request.certRequestPem,
      caPrivateKeyPem: args.ca.key.privateKeyPem,
      caCertPem: args.ca.cert.certPem,
      validityPeriodHours: args.validityHours,
      allowedUses: [...args.allowedUses],
    },
    { parent },
  );
  // PKCS#8, secret.
  return { certPem: cert.certPem, keyPem: pulumi.secret(key.privateKeyPemPkcs8) };
}
