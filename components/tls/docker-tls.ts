/**
 * Docker mutual TLS for one stack, issued with @pulumi/tls from {@link dockerTlsProfile}: a CA, one
 * server cert per workspace server (SANs from {@link serverCertSubjectAltNames}) and one client cert
 * for the pool. The local path issues the same profile with node crypto (local-issuer.ts).
 *
 * Rotation: a leaf's generation is `epoch-<epoch>.renewal-<period>`; when it changes, every leaf (key and
 * cert) is re-issued, because `earlyRenewalHours` does not renew reliably (pulumi-tls#39). It changes when
 * someone bumps `epoch`, and by itself when the clock enters a new renewal period (renewal.ts: by the time a
 * leaf is within `renewWithinDays` of its expiry, so a plain `pulumi up` renews it). Two mechanisms, so it
 * works on every engine version:
 * - the generation is the leaves' subject OU, so their cert requests change and the signed certs are replaced;
 * - the generation is the leaf keys' `replacementTrigger`, so the keys are replaced as well.
 * The CA is not rotated: it outlives its leaves, so clients keep trusting rotated servers.
 */
import * as pulumi from "@pulumi/pulumi";
import { dockerTlsProfile, serverCertSubjectAltNames, type SubjectAltNames } from "./profile";
import { leafGeneration } from "./renewal";
import { createStackCa, issueStackLeaf } from "./stack-ca";

/** The addresses of one server, as Pulumi inputs (they are known only once the provider created it). */
export interface DockerTlsServer {
  /** Server name: the certificate's CN and a DNS SAN, e.g. `ws-standard-1`. */
  readonly name: string;
  readonly privateIp: pulumi.Input<string>;
  /** Public IPv4, when the server has one. */
  readonly publicIp?: pulumi.Input<string | undefined>;
  /** Floating / reserved IP, when the server has one. */
  readonly stableIp?: pulumi.Input<string | undefined>;
  /** DNS name, when the stack creates a record for the server. */
  readonly dnsName?: string;
}

export interface DockerTlsArgs {
  /** Stack name, part of the CA's and the client's common names. */
  readonly stack: string;
  /** Workspace servers that get a server certificate. */
  readonly servers: readonly DockerTlsServer[];
  /** Validity of server and client certs. @default dockerTlsProfile.defaultValidityHours (8760) */
  readonly validityHours?: number;
  /** Rotation epoch; bump it to re-issue every leaf key and cert. @default 0 */
  readonly epoch?: number;
  /** A `pulumi up` renews leaves with fewer days than this left (see renewal.ts). @default defaultRenewWithinDays(validityHours): 30, or a third of the validity */
  readonly renewWithinDays?: number;
}

export interface IssuedServerCert {
  readonly certPem: pulumi.Output<string>;
  /** PKCS#8 PEM. Secret. */
  readonly keyPem: pulumi.Output<string>;
  /** The SANs the certificate was requested with (what the pool may dial). */
  readonly subjectAltNames: pulumi.Output<SubjectAltNames>;
}

/** One CA, server certs per workspace server, one client cert: `sandfleet:tls:DockerTls`. */
export class DockerTls extends pulumi.ComponentResource {
  public readonly caCertPem: pulumi.Output<string>;
  public readonly clientCertPem: pulumi.Output<string>;
  /** Secret. */
  public readonly clientKeyPem: pulumi.Output<string>;
  public readonly servers: Record<string, IssuedServerCert>;

  constructor(name: string, args: DockerTlsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sandfleet:tls:DockerTls", name, {}, opts);
    const issued = issueDockerTls(name, args, this);
    this.caCertPem = issued.caCertPem;
    this.clientCertPem = issued.clientCertPem;
    this.clientKeyPem = issued.clientKeyPem;
    this.servers = issued.servers;
    this.registerOutputs({
      caCertPem: this.caCertPem,
      clientCertPem: this.clientCertPem,
      clientKeyPem: this.clientKeyPem,
      servers: this.servers,
    });
  }
}

function issueDockerTls(name: string, args: DockerTlsArgs, parent: pulumi.ComponentResource) {
  const validityHours = args.validityHours ?? dockerTlsProfile.defaultValidityHours;
  const generation = leafGeneration({ epoch: args.epoch, validityHours, renewWithinDays: args.renewWithinDays });

  const ca = createStackCa(name, dockerTlsProfile.ca.commonName(args.stack), parent);
  const issueLeaf = (leafName: string, commonName: string, allowedUses: readonly string[], sans?: pulumi.Output<SubjectAltNames>) =>
    issueStackLeaf(leafName, { ca, commonName, allowedUses, sans, validityHours, generation }, parent);

  const client = issueLeaf(`${name}-client`, dockerTlsProfile.client.commonName(args.stack), dockerTlsProfile.client.allowedUses);

  const servers: Record<string, IssuedServerCert> = {};
  for (const server of args.servers) {
    const subjectAltNames = pulumi
      .all([server.privateIp, server.publicIp, server.stableIp])
      .apply(([privateIp, publicIp, stableIp]) =>
        serverCertSubjectAltNames({ serverName: server.name, privateIp, publicIp, stableIp, dnsName: server.dnsName }),
      );
    const leaf = issueLeaf(`${name}-${server.name}`, dockerTlsProfile.server.commonName(server.name), dockerTlsProfile.server.allowedUses, subjectAltNames);
    servers[server.name] = { ...leaf, subjectAltNames };
  }

  return { caCertPem: ca.cert.certPem, clientCertPem: client.certPem, clientKeyPem: client.keyPem, servers };
}
