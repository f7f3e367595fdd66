/**
 * `sandfleet:service:SandboxService`: the sandbox service on the platform server after `pulumi up`.
 *
 * Over the post-boot SSH path (@pulumi/command, like the registry delivery) it copies the install script,
 * the pinned Node tarball (node-runtime.ts) and the service bundle built from this checkout
 * (service-bundle.ts), then runs the script with the file set of cloud-init/service-host.ts on stdin: the
 * systemd units, the config, the service's TLS key and the SHA-256 of the initial API key. The key itself is
 * generated here, kept as a secret stack output, and never sent anywhere: the host only needs its hash.
 * Triggers are digests (bundle, Node integrity, script, file set) and the server's id, so an unchanged
 * service is left alone and a replaced platform gets it again.
 *
 * HTTPS certificate: issued by a CA of the stack's own (`serviceCaCertPem` output; clients trust it with
 * `curl --cacert`), with every address clients may use as SANs (stable IP, load balancer IP, DNS name).
 * With a proxied Cloudflare record, browsers and clients see Cloudflare's public certificate on the edge
 * (docs/service-host.md); with `originCertificate` the service also holds a Cloudflare Origin CA certificate for
 * the DNS name, served only to handshakes with that name as SNI (Cloudflare's), so the zone can use *Full (strict)*,
 * while every other handshake (an IP address, no SNI) still gets the stack-CA leaf `serviceCaCert` verifies.
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import {
  NODE_TARBALL_REMOTE_PATH,
  parseServiceInstallReport,
  SERVICE_BUNDLE_REMOTE_PATH,
  SERVICE_INSTALL_SCRIPT_LOCAL_PATH,
  SERVICE_INSTALL_SCRIPT_REMOTE_PATH,
  serviceHostFileSet,
  serviceInstallCommand,
} from "../../cloud-init/service-host";
import { issueOriginCaCertificate } from "../dns/origin-ca-certificate";
import type { OriginCaValidityDays } from "../dns/origin-ca-validity";
import { dockerTlsProfile } from "../tls/profile";
import { leafGeneration } from "../tls/renewal";
import { createStackCa, issueStackLeaf } from "../tls/stack-ca";
import { serviceApiKey, serviceApiKeyHash, serviceUrl } from "./api-key";
import type { NodeTarball } from "./node-runtime";
import type { ServiceBundle } from "./service-bundle";


export interface SandboxServiceArgs {
  /** Stack name: part of the certificate subjects. */
  readonly stack: string;
  /** SSH connection to the platform server (secret: holds the deploy key). */
  readonly connection: pulumi.Input<command.types.input.remote.ConnectionArgs>;
  /** Log in as root? Otherwise the script runs through `sudo -n`. */
  readonly sudo: boolean;
  /** The Node tarball for the platform's machine type (see node-runtime.ts). */
  readonly node: NodeTarball;
  /** The service bundle built from this checkout. */
  readonly bundle: ServiceBundle;
  /** The service's pool settings (createPool options), passed through to its config. @default {} */
  readonly pool?: Readonly<Record<string, unknown>>;
  /** Where the platform's data volume is mounted; the service keeps its state below it. */
  readonly dataVolumeMount: string;
  /** The name clients use: the DNS name when Cloudflare is configured, else the stable address. */
  readonly publicHost: pulumi.Input<string>;
  /** Every address clients may reach the service on (stable IP, load balancer IP, private IP): certificate SANs. */
  readonly addresses: pulumi.Input<string | undefined>[];
  /** DNS names clients may use (the Cloudflare record). @default [] */
  readonly dnsNames?: pulumi.Input<string | undefined>[];
  /** Leaf validity in hours. @default dockerTlsProfile.defaultValidityHours */
  readonly validityHours?: number;
  /** The stack's rotation epoch (`sandfleet:tls.epoch`); bump it to re-issue the leaf. @default 0 */
  readonly epoch?: number;
  /** A `pulumi up` renews the leaf with fewer days than this left (`sandfleet:tls.renewWithinDays`). @default defaultRenewWithinDays(validityHours) */
  readonly renewWithinDays?: number;
  /**
   * Where clients on the deploying machine reach 443 when it is not `publicHost:443`: the local provider
   * publishes it on 127.0.0.1:<port>. Only the `url` output changes (127.0.0.1 is a SAN of every service cert).
   */
  readonly publishedAt?: pulumi.Input<{ host: string; port: number } | undefined>;
  /**
   * A Cloudflare Origin CA certificate for `hostname` (the proxied platform record), served by SNI next to the
   * stack-CA leaf (`sandfleet:cloudflare.originCertificate`; components/dns/origin-ca-certificate.ts). @default none
   */
  readonly originCertificate?: { readonly hostname: string; readonly validityDays: OriginCaValidityDays };
  /** Values whose change re-installs the service besides its own digests: the platform server's id. @default [] */
  readonly triggers?: pulumi.Input<string>[];
  /** What must have happened first: the registry delivery (the service starts only with a registry). */
  readonly dependsOn: pulumi.Input<pulumi.Resource>[];
}

let installScriptDigestCache: string | undefined;
const installScriptDigest = () =>
  (installScriptDigestCache ??= createHash("sha256").update(readFileSync(SERVICE_INSTALL_SCRIPT_LOCAL_PATH)).digest("hex"));
const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

export class SandboxService extends pulumi.ComponentResource {
  /** `https://<publicHost>` (port 443), or the published address (`publishedAt`): a URL `curl` reaches. */
  public readonly url: pulumi.Output<string>;
  /** The initial API key (secret). */
  public readonly apiKey: pulumi.Output<string>;
  /** The CA clients trust for the service's certificate. */
  public readonly caCertPem: pulumi.Output<string>;
  /** When `originCertificate` is set: when Cloudflare's Origin CA certificate expires (it renews on `pulumi up`). */
  public readonly originCertExpiresOn?: pulumi.Output<string>;
  public readonly install: command.remote.Command;
  /** The install script's success report (Node version, bundle digest, unit state). */
  public readonly report: pulumi.Output<{ ok: true; [key: string]: unknown } | undefined>;

  constructor(name: string, args: SandboxServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sandfleet:service:SandboxService", name, {}, opts);
    const parent = this;

    // HTTPS: a CA of the stack's own and one leaf for the platform.
    const { key: caKey, cert: ca } = createStackCa(name, dockerTlsProfile.serviceCa.commonName(args.stack), parent);
    // Every address and name clients may use, plus 127.0.0.1 and localhost (checks on the host itself).
    const sans = pulumi.all([pulumi.all(args.addresses), pulumi.all(args.dnsNames ?? [])]).apply(([addresses, dnsNames]) => ({
      ipAddresses: [...new Set([...addresses.filter((a): a is string => !!a), "127.0.0.1"])].sort(),
      dnsNames: [...new Set([...dnsNames.filter((n): n is string => !!n), "localhost"])].sort(),
    }));
    // Renewed like the Docker leaves (same generation): a new epoch or renewal period re-issues it on `pulumi up`,
    // the install re-runs with the new file set, and the host reloads the certificate without a restart (SIGHUP).
    const validityHours = args.validityHours ?? dockerTlsProfile.defaultValidityHours;
    const leaf = issueStackLeaf(
      name,
      {
        ca: { key: caKey, cert: ca },
        commonName: args.publicHost,
        allowedUses: dockerTlsProfile.server.allowedUses,
        sans,
        validityHours,
        generation: leafGeneration({ epoch: args.epoch, validityHours, renewWithinDays: args.renewWithinDays }),
      },
      parent,
    );

    // The initial API key: generated once per stack, a secret output; the host receives its hash only.
    const secretPart = new random.RandomPassword(`${name}-initial-key`, { length: 43, special: false }, { parent, additionalSecretOutputs: ["result"] });
    this.apiKey = pulumi.secret(secretPart.result.apply(serviceApiKey));

    // Cloudflare's Origin CA certificate for the proxied name, renewed with the same epoch and window as the leaf.
    const origin = args.originCertificate
      ? issueOriginCaCertificate(
          `${name}-origin`,
          { hostname: args.originCertificate.hostname, validityDays: args.originCertificate.validityDays, epoch: args.epoch, renewWithinDays: args.renewWithinDays },
          parent,
        )
      : undefined;
    const originPair = origin
      ? pulumi.all([origin.certPem, origin.keyPem]).apply(([certPem, keyPem]) => [{ serverName: args.originCertificate!.hostname, certPem, keyPem }])
      : pulumi.output([] as { serverName: string; certPem: string; keyPem: string }[]);
    this.originCertExpiresOn = origin?.expiresOn;

    const fileSet = pulumi.secret(
      pulumi.all([leaf.certPem, ca.certPem, leaf.keyPem, this.apiKey, originPair]).apply(([certPem, caPem, keyPem, key, tlsByServerName]) =>
        serviceHostFileSet({
          nodeVersion: args.node.version,
          nodeIntegrity: args.node.integrity,
          nodeArch: args.node.arch,
          bundleDigest: args.bundle.digest,
          dataVolumeMount: args.dataVolumeMount,
          // The chain, so clients that trust the CA need nothing else.
          tls: { certPem: `${certPem.trim()}\n${caPem.trim()}\n`, keyPem },
          tlsByServerName,
          initialApiKeySha256: serviceApiKeyHash(key),
          pool: { ...(args.pool ?? {}) },
        }),
      ),
    );
    const serverTriggers = args.triggers ?? [];
    const copy = (suffix: string, source: string, remotePath: string, digest: string) =>
      new command.remote.CopyToRemote(
        `${name}-${suffix}`,
        { connection: args.connection, source: new pulumi.asset.FileAsset(source), remotePath, triggers: [digest, ...serverTriggers] },
        { parent, dependsOn: args.dependsOn },
      );
    const copies = [
      copy("script", SERVICE_INSTALL_SCRIPT_LOCAL_PATH, SERVICE_INSTALL_SCRIPT_REMOTE_PATH, installScriptDigest()),
      copy("node", args.node.path, NODE_TARBALL_REMOTE_PATH, args.node.integrity),
      copy("bundle", args.bundle.path, SERVICE_BUNDLE_REMOTE_PATH, args.bundle.digest),
    ];
    this.install = new command.remote.Command(
      `${name}-install`,
      {
        connection: args.connection,
        create: serviceInstallCommand(
          { nodeVersion: args.node.version, nodeIntegrity: args.node.integrity, nodeArch: args.node.arch, bundleDigest: args.bundle.digest, dataVolumeMount: args.dataVolumeMount },
          args.sudo,
        ),
        stdin: fileSet,
        // Digests only: triggers are stored in plain text.
        triggers: [args.bundle.digest, args.node.integrity, installScriptDigest(), pulumi.unsecret(fileSet.apply(sha256)), ...serverTriggers],
        logging: "stdoutAndStderr",
      },
      { parent, dependsOn: [...copies, ...args.dependsOn], additionalSecretOutputs: ["stdin"] },
    );
    this.report = this.install.stdout.apply(parseServiceInstallReport);
    this.caCertPem = ca.certPem;
    this.url = pulumi
      .all([args.publicHost, args.publishedAt])
      .apply(([host, published]) => (published ? serviceUrl(published.host, published.port) : serviceUrl(host)));
    this.registerOutputs({ url: this.url, apiKey: this.apiKey, caCertPem: this.caCertPem, originCertExpiresOn: this.originCertExpiresOn, install: this.install, report: this.report });
  }
}
