/**
 * Issues the Docker TLS material of {@link dockerTlsProfile} with node's crypto, without Pulumi.
 * Used by the `local` provider (test hosts on the local Docker engine) and by tests that start
 * their own TLS-protected dockerd. The cloud path issues the same profile with @pulumi/tls.
 */
// @peculiar/x509 resolves its ASN.1 schemas through tsyringe, which needs the Reflect metadata API.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";
import { CertUsage, dockerTlsProfile, ServerAddresses, serverCertSubjectAltNames } from "./profile";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const signingAlgorithm = { name: "ECDSA", hash: "SHA-256" } as const;
const keyAlgorithm = { name: "ECDSA", namedCurve: "P-256" } as const;

export interface IssuedCert {
  certPem: string;
  /** PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----"). Secret. */
  keyPem: string;
}

export interface LocalDockerTls {
  ca: IssuedCert;
  client: IssuedCert;
  servers: Record<string, IssuedCert>;
}

export interface IssueOptions {
  stack: string;
  servers: ServerAddresses[];
  /** Validity of server and client certs. @default dockerTlsProfile.defaultValidityHours */
  validityHours?: number;
  /** Issue with an existing CA instead of a new one (rotation keeps the trust root). */
  ca?: IssuedCert;
  /**
   * Overrides the client cert's usages. Tests use it to prove that a cert whose extended key usage lacks
   * client_auth (e.g. `["digital_signature", "server_auth"]`) is refused. Note: a cert with NO extended key
   * usage at all (`["digital_signature"]`) is accepted by dockerd, because Go treats a missing EKU as "any".
   */
  clientUsages?: CertUsage[];
  /** The new CA's common name. @default dockerTlsProfile.ca.commonName(stack) (the sandbox service's CA passes its own) */
  caCommonName?: string;
}

/** Issues a CA (unless given), one server cert per entry of `servers` and one client cert. */
export async function issueDockerTls(options: IssueOptions): Promise<LocalDockerTls> {
  const validityHours = options.validityHours ?? dockerTlsProfile.defaultValidityHours;
  const ca = options.ca ? await loadIssuer(options.ca) : await createCa(options.caCommonName ?? dockerTlsProfile.ca.commonName(options.stack));
  const servers: Record<string, IssuedCert> = {};
  for (const server of options.servers) {
    const sans = serverCertSubjectAltNames(server);
    servers[server.serverName] = await issueLeaf(ca, {
      commonName: dockerTlsProfile.server.commonName(server.serverName),
      usages: dockerTlsProfile.server.allowedUses,
      validityHours,
      sans: [
        ...sans.ipAddresses.map((value) => ({ type: "ip" as const, value })),
        ...sans.dnsNames.map((value) => ({ type: "dns" as const, value })),
      ],
    });
  }
  const client = await issueLeaf(ca, {
    commonName: dockerTlsProfile.client.commonName(options.stack),
    usages: options.clientUsages ?? dockerTlsProfile.client.allowedUses,
    validityHours,
    sans: [],
  });
  return { ca: ca.issued, client, servers };
}

interface Issuer {
  issued: IssuedCert;
  cert: x509.X509Certificate;
  privateKey: CryptoKey;
}

async function createCa(commonName: string): Promise<Issuer> {
  const keys = (await webcrypto.subtle.generateKey(keyAlgorithm, true, ["sign", "verify"])) as CryptoKeyPair;
  const name = distinguishedName(commonName);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name,
    ...validityWindow(dockerTlsProfile.ca.validityHours),
    signingAlgorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(keyUsageFlags(dockerTlsProfile.ca.allowedUses), true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, privateKey: keys.privateKey, issued: { certPem: cert.toString("pem"), keyPem: await exportKey(keys.privateKey) } };
}

async function loadIssuer(issued: IssuedCert): Promise<Issuer> {
  const cert = new x509.X509Certificate(issued.certPem);
  const der = x509.PemConverter.decodeFirst(issued.keyPem);
  const privateKey = await webcrypto.subtle.importKey("pkcs8", der, keyAlgorithm, true, ["sign"]);
  return { cert, privateKey: privateKey as CryptoKey, issued };
}

interface LeafRequest {
  commonName: string;
  usages: readonly CertUsage[];
  validityHours: number;
  sans: { type: "ip" | "dns"; value: string }[];
}

async function issueLeaf(ca: Issuer, request: LeafRequest): Promise<IssuedCert> {
  const keys = (await webcrypto.subtle.generateKey(keyAlgorithm, true, ["sign", "verify"])) as CryptoKeyPair;
  const extendedUsages = request.usages.flatMap((usage) =>
    usage === "server_auth" ? [x509.ExtendedKeyUsage.serverAuth] : usage === "client_auth" ? [x509.ExtendedKeyUsage.clientAuth] : [],
  );
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(keyUsageFlags(request.usages), true),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
  ];
  if (extendedUsages.length) extensions.push(new x509.ExtendedKeyUsageExtension(extendedUsages, false));
  if (request.sans.length) extensions.push(new x509.SubjectAlternativeNameExtension(request.sans, false));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: distinguishedName(request.commonName),
    issuer: ca.cert.subject,
    ...validityWindow(request.validityHours),
    signingAlgorithm,
    publicKey: keys.publicKey,
    signingKey: ca.privateKey,
    extensions,
  });
  return { certPem: cert.toString("pem"), keyPem: await exportKey(keys.privateKey) };
}

function keyUsageFlags(usages: readonly CertUsage[]): number {
  const flags: Partial<Record<CertUsage, number>> = {
    digital_signature: x509.KeyUsageFlags.digitalSignature,
    key_encipherment: x509.KeyUsageFlags.keyEncipherment,
    cert_signing: x509.KeyUsageFlags.keyCertSign,
    crl_signing: x509.KeyUsageFlags.cRLSign,
  };
  return usages.reduce((acc, usage) => acc | (flags[usage] ?? 0), 0);
}

function distinguishedName(commonName: string): string {
  const escaped = commonName.replace(/([,+"\\<>;=])/g, "\\$1");
  return `CN=${escaped}, O=${dockerTlsProfile.organization}`;
}

function validityWindow(hours: number): { notBefore: Date; notAfter: Date } {
  // Backdate a little so that a host whose clock lags by a few minutes still accepts a fresh cert.
  const notBefore = new Date(Date.now() - 5 * 60_000);
  return { notBefore, notAfter: new Date(notBefore.getTime() + hours * 3_600_000) };
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f; // positive
  return Buffer.from(bytes).toString("hex");
}

async function exportKey(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}
