/**
 * What the local servers of one stack share: the private network (a Docker network of the fleet's own).
 * Platform and workspace servers are test hosts ({@link LocalHost}) booted with the user-data the core renders.
 *
 * Addresses: on Linux the machine running Pulumi routes to the fleet's Docker network, so a host's private
 * IP is also its "public" one: the core's post-boot step dials SSH at <private IP>:22 and the registry lists
 * <private IP>:2376, both allowed by the hosts' firewalls (traffic arrives from the network's gateway, inside
 * the private range). Engines whose container networks are not routable from the machine (Docker Desktop)
 * need `npm start` instead, which uses the ports published on 127.0.0.1 (`sshPort` / `dockerPort`).
 */
import * as pulumi from "@pulumi/pulumi";
import type { Capacity } from "../../runtime/registry/schema";
import type {
  PlatformSpec,
  ProviderSite,
  ProvisionedPlatform,
  ProvisionedServer,
  ServerSpec,
  SiteArgs,
  WorkspacePoolSpec,
} from "../provider";
import { LOCAL_ADMIN_USER } from "../../local/hosts";
import { localConfigSchema, type LocalConfig } from "./config";
import { LocalHost, LocalNetwork } from "./resources";

/** Test hosts share the machine; this is what the registry reports per host. */
export const LOCAL_HOST_CAPACITY: Capacity = { cpus: 2, memoryMb: 2048, diskGb: 10 };

/** Admin user the core renders into user-data for local hosts: the same user `npm start` creates. */
export const LOCAL_SSH_USER = LOCAL_ADMIN_USER;

/** A local server as reported to the core, plus the published ports only a local host has. */
export interface LocalProvisionedServer extends ProvisionedServer {
  sshPort: pulumi.Output<number>;
  dockerPort: pulumi.Output<number>;
}

export class LocalSite extends pulumi.ComponentResource implements ProviderSite {
  public readonly network: LocalNetwork;
  public readonly fleet: string;
  public readonly config: LocalConfig;
  public readonly sshUser = LOCAL_SSH_USER;
  readonly #args: SiteArgs;

  constructor(name: string, args: SiteArgs, opts?: pulumi.ComponentResourceOptions) {
    super("sandfleet:local:Site", name, {}, opts);
    this.#args = args;
    const parsed = localConfigSchema.safeParse(args.providerConfig ?? {});
    if (!parsed.success) {
      throw new pulumi.ResourceError(
        `sandfleet:local: ${parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"} ${i.message}`).join("; ")}`,
        this,
      );
    }
    this.config = parsed.data;
    this.fleet = this.config.fleet ?? `pulumi-${args.stack}`.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 21);
    this.network = new LocalNetwork(`${name}-network`, { fleet: this.fleet, subnet: args.networkCidr }, { parent: this });
    this.registerOutputs({ network: this.network, fleet: this.fleet });
  }

  createPlatform(spec: PlatformSpec): ProvisionedPlatform & LocalProvisionedServer {
    const server = this.#createServer(spec, "platform");
    // The service's 443 as published on 127.0.0.1: serviceUrl is then a URL curl reaches on any engine.
    const publishedService = (server.server as LocalHost).servicePort.apply((port) => (port ? { host: "127.0.0.1", port } : undefined));
    return { ...server, publicAddress: server.privateIp, publishedService };
  }

  createWorkspacePool(spec: WorkspacePoolSpec): LocalProvisionedServer[] {
    return spec.servers.map((server) => ({ ...this.#createServer(server, "workspace"), pool: spec.name }));
  }

  #createServer(spec: ServerSpec, role: "platform" | "workspace"): LocalProvisionedServer {
    const host = new LocalHost(
      `${this.#args.name}-${spec.name}`,
      {
        fleet: this.fleet,
        hostName: spec.name,
        role,
        privateIp: spec.privateIp,
        subnet: this.#args.networkCidr,
        // No separate data volume: the host's /var/lib/docker is already a Docker volume of its own.
        userData: spec.userData(undefined),
      },
      { parent: this, dependsOn: [this.network] },
    );
    return {
      name: spec.name,
      role,
      provider: "local",
      region: "local",
      location: spec.location,
      privateIp: host.privateIp,
      publicIp: host.privateIp.apply((ip): string | undefined => ip),
      capacity: LOCAL_HOST_CAPACITY,
      server: host,
      readyDependencies: [],
      sshPort: host.sshPort,
      dockerPort: host.dockerPort,
    };
  }
}
