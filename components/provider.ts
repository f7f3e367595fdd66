/**
 * The provider interface: what the provider-neutral fleet (components/fleet) asks of every cloud.
 * Hetzner is the reference implementation (components/hetzner); AWS, GCP, Azure, DigitalOcean and
 * `local` implement the same interface. The core never imports a provider; providers never import
 * each other. A stack may use several providers at once (e.g. Hetzner `standard` + AWS spot `burst`).
 *
 * Division of labour:
 * - the core decides names, private IPs, user-data (cloud-init), TLS, the post-boot step, DNS, the registry;
 * - a provider turns that plan into its own resources (network, firewalls, servers, volumes, stable IP,
 *   load balancer, spread placement) and reports the addresses it got.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Capacity } from "../runtime/registry/schema";

export type ProviderName = "hetzner" | "aws" | "gcp" | "azure" | "digitalocean" | "local";

/** Creates a provider's resources for one stack. One instance per provider used by the stack. */
export interface FleetProvider {
  readonly name: ProviderName;
  /**
   * Creates what servers of this provider share (private network, firewalls, SSH key, ...).
   * Called once per stack and provider; children must be parented to `parent`.
   */
  createSite(args: SiteArgs, parent: pulumi.ComponentResource): ProviderSite;
}

export interface SiteArgs {
  /** Prefix for child resource names (the fleet's name, e.g. `sandfleet-dev`). */
  name: string;
  stack: string;
  /** Provider-specific default location (e.g. `fsn1`, `eu-central-1`). */
  location: string;
  /** Private network range of this site, e.g. `10.0.0.0/16`. */
  networkCidr: string;
  /** Where SSH (22) may come from. Never empty, never 0.0.0.0/0 (validated by the stack config). */
  adminCidrs: string[];
  /** Authorized SSH keys (OpenSSH format) for the admin user; includes the stack's deploy key. */
  sshPublicKeys: pulumi.Input<string>[];
  /** Labels/tags put on every resource that supports them (values already sanitised). */
  tags: Record<string, string>;
  /** Options the user set for deletion safety. */
  protection: ProtectionOptions;
  /** Provider-specific settings from the stack config (`sandfleet:<provider>` object), already validated. */
  providerConfig?: Record<string, unknown>;
}

export interface ProtectionOptions {
  /** Ask the provider to refuse server deletion (hcloud `deleteProtection`, AWS termination protection). */
  deleteProtection: boolean;
  /** Keep data volumes when the stack is destroyed (`retainOnDelete`). */
  retainVolumes: boolean;
  /**
   * Kept volumes to attach instead of creating new ones, by server name, the value the provider's volume
   * id. Read from the provider, not owned by the stack (never resized or deleted by it). @default {}
   */
  adoptVolumes?: Record<string, string>;
}

/** A provider's resources in one stack, able to create the platform server and workspace pools. */
export interface ProviderSite {
  /**
   * The login user this provider's images give the stack's SSH keys to (`root` on Hetzner, `admin` on
   * AWS Debian images). The core renders cloud-init for it and the post-boot step logs in as it
   * (with sudo unless root). @default "root"
   */
  readonly sshUser?: string;
  /**
   * True when a server's public IPv4 sits on one of its interfaces (Hetzner, DigitalOcean), false when the
   * cloud translates it to the private IP (AWS, GCP, Azure: 1:1 NAT). A workspace server dialled over its
   * public IP (its pool runs on another provider than the platform) then gets a Docker TLS listener on that
   * address too; behind NAT the private-IP listener already receives that traffic. @default false
   */
  readonly publicIpOnInterface?: boolean;
  /**
   * The largest rendered user-data (UTF-8 bytes of the cloud-config text) this provider's servers accept,
   * as the provider documents it; the core refuses larger user-data before creating anything.
   * A provider that packs user-data itself (AWS gzips it) checks its own limit. @default no limit
   */
  readonly maxUserDataBytes?: number;
  createPlatform(spec: PlatformSpec): ProvisionedPlatform;
  createWorkspacePool(spec: WorkspacePoolSpec): ProvisionedServer[];
}

/** One server as planned by the core. */
export interface ServerSpec {
  /** Resource and host name, stable across updates (e.g. `ws-standard-1`). */
  name: string;
  serverType: string;
  location: string;
  /** Fixed private IP inside the site's network range, planned by the core. */
  privateIp: string;
  /** Size of the data volume (platform: service data; workspace: /var/lib/docker). 0 = none. */
  volumeGb: number;
  /**
   * Renders this server's cloud-init user-data, given the device path under which the provider will
   * attach the data volume (e.g. `/dev/disk/by-id/scsi-0HC_Volume_123`). Never contains secrets.
   */
  userData: (volumeDevice: pulumi.Output<string> | undefined, host?: HostNetworkHints) => pulumi.Output<string>;
  labels: Record<string, string>;
}

/**
 * Network facts a provider knows before the server exists and the host must configure itself, because
 * the cloud routes them to the server but does not put them on an interface (optional: a renderer that
 * ignores them still works, the facts just stay unconfigured on the host).
 */
export interface HostNetworkHints {
  /**
   * Extra public IPv4 addresses routed to this server that the OS must bind to its public interface
   * (a Hetzner floating IP, a DigitalOcean reserved IP's anchor, ...), as plain addresses without prefix.
   */
  extraPublicIpv4s?: pulumi.Output<string>[];
}

export interface PlatformSpec extends ServerSpec {
  /** Attach a floating / elastic / reserved / static IP. */
  stableIp: boolean;
  /** Put a load balancer in front of the platform server. */
  loadBalancer?: LoadBalancerSpec;
  /** Ports the platform serves to the internet (80/443) when it serves directly; empty = none. */
  publicPorts: number[];
}

export interface LoadBalancerSpec {
  /** Load balancer type / size (provider-specific, e.g. `lb11`). */
  type?: string;
  /** Listen port -> platform port. */
  ports: { listen: number; target: number }[];
  /** TCP port the health check probes on the platform server. */
  healthCheckPort: number;
}

export interface WorkspacePoolSpec {
  /** Pool name (e.g. `standard`, `burst`). */
  name: string;
  servers: ServerSpec[];
  /** Spread servers over hosts (placement group) where the provider offers it. */
  spread: boolean;
  /** Use spot / preemptible capacity where the provider offers it. */
  spot: boolean;
  /**
   * CIDRs allowed to reach the Docker API (2376): the site's private range when the platform server is
   * in the same provider, else the platform server's public IP as /32.
   */
  dockerApiSources: pulumi.Input<string>[];
}

/** What a provider reports back for one server. */
export interface ProvisionedServer {
  name: string;
  role: "platform" | "workspace";
  pool?: string;
  provider: ProviderName;
  /** Provider region (e.g. `eu-central`) and location/zone (e.g. `fsn1`). */
  region: string;
  location: string;
  privateIp: pulumi.Output<string>;
  /** Public IPv4, when the server has one. */
  publicIp: pulumi.Output<string | undefined>;
  /** Hardware of the server type, for the registry and capacity planning. */
  capacity: Capacity;
  /** The server resource, for `dependsOn` of steps that need it booted. */
  server: pulumi.Resource;
  /** Resources the post-boot step must wait for (volume attachment, IP assignment, ...). */
  readyDependencies: pulumi.Resource[];
}

export interface ProvisionedPlatform extends ProvisionedServer {
  /** The platform's stable public address (floating IP etc.), else its public IP. */
  publicAddress: pulumi.Output<string>;
  /** The load balancer's public IPv4, when one was requested. */
  loadBalancerIp?: pulumi.Output<string>;
  /**
   * Where the deploying machine reaches the platform's 443 when that is not its public address (the local
   * provider publishes it on 127.0.0.1:<port>): the sandbox service's `serviceUrl` then uses it.
   */
  publishedService?: pulumi.Output<{ host: string; port: number } | undefined>;
}
