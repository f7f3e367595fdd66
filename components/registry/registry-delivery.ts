/**
 * Puts the endpoint registry (and the pool's client cert) on the platform server, so services there
 * use the pool without anyone copying files: `/etc/sandfleet/registry.json` (0400) and
 * `/etc/sandfleet/docker-client/{ca,cert,key}.pem` for the Docker CLI. The content travels on stdin
 * as a secret, never in the command string (pulumi#13286).
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { posix } from "node:path";
import { tlsBundle } from "../post-boot/post-boot-step";

export const REGISTRY_REMOTE_PATH = "/etc/sandfleet/registry.json";
export const CLIENT_TLS_REMOTE_DIR = "/etc/sandfleet/docker-client";

export interface RegistryDeliveryArgs {
  /** SSH connection to the platform server (secret: holds the deploy key). */
  readonly connection: pulumi.Input<command.types.input.remote.ConnectionArgs>;
  /** The registry document (secret). */
  readonly registry: pulumi.Input<object>;
  /** Log in as root? Otherwise the commands use sudo. */
  readonly sudo: boolean;
  /** Steps that must finish first (the platform's own post-boot readiness). */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
}

// Written to a temporary file next to the target and renamed, so readers never see half a file.
const writeRegistry = (sudo: string, path = REGISTRY_REMOTE_PATH) =>
  `${sudo}install -d -m 0750 ${posix.dirname(path)} && ` +
  `${sudo}sh -c 'umask 0377 && cat > ${path}.tmp && chmod 0400 ${path}.tmp && mv -f ${path}.tmp ${path}'`;

// stdin: CA, client cert, client key (PEM blocks in that order), split by their BEGIN lines.
const writeClientTls = (sudo: string, dir = CLIENT_TLS_REMOTE_DIR) =>
  `${sudo}install -d -m 0750 ${dir} && ` +
  `${sudo}sh -c 'umask 0377 && cd ${dir} && rm -f ca.pem cert.pem key.pem && ` +
  `awk "/-----BEGIN/{n++} {print > (n==1 ? \\"ca.pem\\" : n==2 ? \\"cert.pem\\" : \\"key.pem\\")}" && ` +
  `chmod 0444 ca.pem cert.pem && chmod 0400 key.pem'`;

/** The shell commands, exported so tests can run them against a temporary directory. */
export const registryDeliveryCommands = { writeRegistry, writeClientTls };

/** `sandfleet:registry:RegistryDelivery`: the registry and client TLS files on the platform server. */
export class RegistryDelivery extends pulumi.ComponentResource {
  public readonly registryFile: command.remote.Command;
  public readonly clientTlsFiles: command.remote.Command;
  /** What both commands wait for (the platform's readiness check), as given. */
  public readonly waitsFor: readonly pulumi.Input<pulumi.Resource>[];

  constructor(name: string, args: RegistryDeliveryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sandfleet:registry:RegistryDelivery", name, {}, opts);
    this.waitsFor = [...(args.dependsOn ?? [])];
    const sudo = args.sudo ? "sudo " : "";
    const json = pulumi.output(args.registry).apply((r) => JSON.stringify(r, null, 2) + "\n");
    // A hash, not the content, as trigger: triggers are stored in plain text.
    const digest = json.apply((text) => createHash("sha256").update(text).digest("hex"));
    const tls = pulumi.output(args.registry).apply((r) => (r as { tls: { ca: string; clientCert: string; clientKey: string } }).tls);
    const clientBundle = tlsBundle(tls.ca, tls.clientCert, tls.clientKey);
    this.registryFile = new command.remote.Command(
      `${name}-registry`,
      { connection: args.connection, create: writeRegistry(sudo), stdin: pulumi.secret(json), triggers: [digest] },
      { parent: this, dependsOn: args.dependsOn, additionalSecretOutputs: ["stdin"] },
    );
    this.clientTlsFiles = new command.remote.Command(
      `${name}-client-tls`,
      { connection: args.connection, create: writeClientTls(sudo), stdin: clientBundle, triggers: [digest] },
      { parent: this, dependsOn: args.dependsOn, additionalSecretOutputs: ["stdin"] },
    );
    this.registerOutputs({ registryFile: this.registryFile, clientTlsFiles: this.clientTlsFiles });
  }
}
