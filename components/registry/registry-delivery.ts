/**
 * Puts the endpoint registry (and the pool's client cert) on the platform server, so services there
 * use the pool without anyone copying files: `/etc/sandfleet/registry.json` (0400) and
 * `/etc/sandfleet/docker-client/{ca,cert,key}.pem` for the Docker CLI. The content travels on stdin
 * as a secret, never in the command string (pulumi#13286).
 */
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";
import { tlsBundle } from "../post-boot/post-boot-step";

import { CLIENT_TLS_REMOTE_DIR, REGISTRY_REMOTE_PATH, registryDeliveryCommands } from "./registry-commands";

export { CLIENT_TLS_REMOTE_DIR, REGISTRY_REMOTE_PATH, registryDeliveryCommands };
const { writeRegistry, writeClientTls } = registryDeliveryCommands;

export interface RegistryDeliveryArgs {
  /** SSH connection to the platform server (secret: holds the deploy key). */
  readonly connection: pulumi.Input<command.types.input.remote.ConnectionArgs>;
  /** The registry document (secret). */
  readonly registry: pulumi.Input<object>;
  /** Log in as root? Otherwise the commands use sudo. */
  readonly sudo: boolean;
  /** Steps that must finish first (the platform's own post-boot readiness). */
  readonly dependsOn?: pulumi.Input<pulumi.Resource>[];
  /**
   * More values whose change writes the files again besides the registry's content: the platform server's
   * id, so a replaced platform (same addresses, same registry) gets them on its fresh disk. @default []
   */
  readonly triggers?: pulumi.Input<string>[];
}

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
    const triggers = [digest, ...(args.triggers ?? [])];
    const tls = pulumi.output(args.registry).apply((r) => (r as { tls: { ca: string; clientCert: string; clientKey: string } }).tls);
    const clientBundle = tlsBundle(tls.ca, tls.clientCert, tls.clientKey);
    this.registryFile = new command.remote.Command(
      `${name}-registry`,
      { connection: args.connection, create: writeRegistry(sudo), stdin: pulumi.secret(json), triggers },
      { parent: this, dependsOn: args.dependsOn, additionalSecretOutputs: ["stdin"] },
    );
    this.clientTlsFiles = new command.remote.Command(
      `${name}-client-tls`,
      { connection: args.connection, create: writeClientTls(sudo), stdin: clientBundle, triggers },
      { parent: this, dependsOn: args.dependsOn, additionalSecretOutputs: ["stdin"] },
    );
    this.registerOutputs({ registryFile: this.registryFile, clientTlsFiles: this.clientTlsFiles });
  }
}
