/**
 * The Docker TLS certificate profile: key type, usages, SANs and validity for the stack CA, every
 * workspace server and the pool's client. Defined once and used by both issuers:
 * - the cloud path (`docker-tls.ts`, @pulumi/tls resources), and
 * - the local path (`local-issuer.ts`, node crypto), used by the `local` provider and the tests.
 *
 * Pure data and functions: no @pulumi import, so local code and tests can use it without an engine.
 */

/** Usages as @pulumi/tls spells them (snake_case; camelCase is silently ignored, see pulumi-tls#151). */
export type CertUsage =
  | "digital_signature"
  | "key_encipherment"
  | "cert_signing"
  | "crl_signing"
  | "server_auth"
  | "client_auth";

export const dockerTlsProfile = {
  /** ECDSA P-256: small keys, fast handshakes, supported by Docker, Go and Node. */
  key: { algorithm: "ECDSA", ecdsaCurve: "P256" },
  organization: "sandfleet",
  ca: {
    commonName: (stack: string) => `sandfleet ${stack} Docker CA`,
    allowedUses: ["cert_signing", "crl_signing", "digital_signature"] as CertUsage[],
    /** The CA outlives its leaves so that rotating leaves (tlsEpoch) does not need a new trust root. */
    validityHours: 10 * 8760,
  },
  server: {
    commonName: (serverName: string) => serverName,
    // An EC key signs (ECDHE handshakes); it cannot encipher keys, so no key_encipherment (RFC 8813 section 3,
    // RFC 5480 section 3): that usage belongs to RSA key transport, which TLS 1.3 dropped.
    allowedUses: ["digital_signature", "server_auth"] as CertUsage[],
  },
  client: {
    commonName: (stack: string) => `sandfleet-pool-${stack}`,
    allowedUses: ["digital_signature", "client_auth"] as CertUsage[],
  },
  /**
   * The sandbox service's HTTPS certificate (port 443 of the platform) comes from a CA of its own: clients trust
   * it for the API without that trust reaching the Docker API, and Docker's CA is never handed to API clients.
   * Same key type and server usages as above.
   */
  serviceCa: { commonName: (stack: string) => `sandfleet ${stack} service CA` },
  /** Default validity of server and client certs; stack config `tls.validityHours` overrides it. */
  defaultValidityHours: 8760,
} as const;

/** Every address the pool may dial for one server. */
export interface ServerAddresses {
  /** Server name, also the certificate's common name (e.g. `ws-standard-1`). */
  serverName: string;
  privateIp?: string;
  publicIp?: string;
  /** Floating / reserved / static IP, when the server has one. */
  stableIp?: string;
  dnsName?: string;
}

export interface SubjectAltNames {
  ipAddresses: string[];
  dnsNames: string[];
}

/**
 * SANs of a Docker server certificate: every address in `addresses`, plus 127.0.0.1 and localhost
 * (for an SSH tunnel and for checks run on the host itself). Sorted and de-duplicated so the
 * certificate does not change when the order of inputs does.
 */
export function serverCertSubjectAltNames(addresses: ServerAddresses): SubjectAltNames {
  const ips = [addresses.privateIp, addresses.publicIp, addresses.stableIp, "127.0.0.1"].filter(
    (ip): ip is string => typeof ip === "string" && ip.length > 0,
  );
  const dns = [addresses.serverName, addresses.dnsName, "localhost"].filter(
    (name): name is string => typeof name === "string" && name.length > 0,
  );
  return {
    ipAddresses: [...new Set(ips)].sort(),
    dnsNames: [...new Set(dns)].sort(),
  };
}
