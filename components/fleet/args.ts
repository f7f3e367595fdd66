/**
 * Inputs of {@link SandboxFleet}: a provider-neutral description of the fleet. The stack program maps
 * its parsed stack config onto it; nothing here is re-validated.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { DockerHostSettings } from "../../cloud-init/types";
import type { JumpHost } from "../post-boot/ssh-connection";
import type { FleetProvider, ProtectionOptions, ProviderName } from "../provider";
import type { OriginCaValidityDays } from "../dns/origin-ca-validity";
import type { NodeTarball } from "../service/node-runtime";
import type { ServiceBundle } from "../service/service-bundle";

/** The sandbox service on the platform server: what the stack ships (built and fetched at the program's edge). */
export interface ServiceOptions {
  /** The pinned Node tarball for the platform's machine type. */
  readonly node: NodeTarball;
  /** The service bundle built from this checkout. */
  readonly bundle: ServiceBundle;
  /** The service's pool settings (createPool options). @default {} */
  readonly pool?: Readonly<Record<string, unknown>>;
}

export interface PlatformOptions {
  /** Server type / size, e.g. `cx33`. */
  readonly serverType: string;
  /** Location of the platform server. */
  readonly location: string;
  /** Data volume in GB; 0 = none. @default 0 */
  readonly volumeGb?: number;
  /** Attach a stable public IP (floating / elastic / reserved / static). @default true */
  readonly floatingIp?: boolean;
  /** Load balancer in front of the platform server. @default none */
  readonly loadBalancer?: {
    readonly enabled: boolean;
    readonly type?: string;
    readonly ports: readonly { listen: number; target: number }[];
    readonly healthCheckPort: number;
  };
  /** Ports the platform serves to the internet itself (80/443). @default [] */
  readonly publicPorts?: readonly number[];
}

export interface WorkspacePoolOptions {
  /** Pool name (DNS-safe), part of server names: `ws-<pool>-<n>`. */
  readonly name: string;
  /** Provider of this pool's servers. @default the fleet's `provider` */
  readonly provider?: ProviderName;
  readonly location: string;
  /** Number of servers; growing it adds servers without touching the others. */
  readonly count: number;
  readonly serverType: string;
  /** Volume for /var/lib/docker in GB; 0 = none. @default 0 */
  readonly volumeGb?: number;
  /** Containers the pool runtime may keep per server. */
  readonly maxContainers: number;
  /** Share for the `weighted` strategy. @default 1 */
  readonly weight?: number;
  /** Endpoint labels besides provider/region/location/pool. @default { tier: <name> } */
  readonly labels?: Readonly<Record<string, string>>;
  /** Spot / preemptible capacity. @default false */
  readonly spot?: boolean;
  /** Spread over hosts. @default true */
  readonly spread?: boolean;
  /** Mark every endpoint `draining` in the registry. @default false */
  readonly draining?: boolean;
  /** Explicit address block (see address-plan.ts). @default derived from the name */
  readonly addressBlock?: number;
}

export interface CloudflareOptions {
  readonly zoneId: string;
  /** The zone's domain, e.g. `example.com`. */
  readonly domain: string;
  /** Platform record name inside the domain (`@` = apex). */
  readonly platformRecord: string;
  /** @default false */
  readonly proxied?: boolean;
  /** Create `ws-<pool>-<n>.<stack>.<domain>` records. @default false */
  readonly workspaceRecords?: boolean;
  /** @default 300 */
  readonly ttl?: number;
  /**
   * A Cloudflare Origin CA certificate for the proxied platform record, served by the sandbox service by SNI, so the
   * zone can use SSL mode Full (strict) (docs/service-host.md). Validated by the stack config: proxied, service on.
   * @default disabled
   */
  readonly originCertificate?: { readonly enabled: boolean; readonly validityDays: OriginCaValidityDays };
}

export interface SandboxFleetArgs {
  /** Stack name: part of cert subjects, endpoint ids and DNS names. */
  readonly stack: string;
  /** Provider of the platform server and the default for pools. */
  readonly provider: ProviderName;
  /** Implementations of every provider the fleet uses (see stacks/providers.ts). */
  readonly providers: Readonly<Partial<Record<ProviderName, FleetProvider>>>;
  /** `sandfleet:<provider>` settings per provider, already validated. @default {} */
  readonly providerConfigs?: Readonly<Partial<Record<ProviderName, Record<string, unknown>>>>;
  /** Default location of the fleet's provider. */
  readonly location: string;
  /** Private network range; the address plan cuts it into /24 blocks. */
  readonly networkCidr: string;
  /** Where SSH may come from (validated: never empty, never the internet). */
  readonly adminCidrs: readonly string[];
  /** Extra admin SSH public keys. @default [] */
  readonly sshPublicKeys?: readonly string[];
  /**
   * Jump host every post-boot SSH connection goes through (`sandfleet:ssh.bastion`), for `pulumi up` from a machine
   * whose address is not in adminCidrs. @default none: the machine running `pulumi up` dials the servers itself
   */
  readonly sshJumpHost?: JumpHost;
  /** Bring-your-own deploy key. @default a generated ED25519 key (secret) */
  readonly deployKey?: { readonly privateKey: pulumi.Input<string>; readonly publicKey: pulumi.Input<string> };
  readonly platform: PlatformOptions;
  readonly pools: readonly WorkspacePoolOptions[];
  /** Docker and gVisor settings of every server. */
  readonly docker: DockerHostSettings;
  /**
   * Leaf cert validity, rotation epoch, in how many waves each pool's post-boot TLS step (a dockerd
   * restart) rolls out, and how many days before expiry `pulumi up` renews the leaves.
   * @default { validityHours: 8760, epoch: 0, rolloutWaves: 4, renewWithinDays: 30 }
   */
  readonly tls?: { readonly validityHours?: number; readonly epoch?: number; readonly rolloutWaves?: number; readonly renewWithinDays?: number };
  /** @default { deleteProtection: false, retainVolumes: false } */
  readonly protection?: ProtectionOptions;
  /** Cloudflare DNS records. @default none */
  readonly cloudflare?: CloudflareOptions;
  /** The sandbox service on the platform (HTTPS on 443, opened on the platform or forwarded by its load balancer). @default none */
  readonly service?: ServiceOptions;
}
