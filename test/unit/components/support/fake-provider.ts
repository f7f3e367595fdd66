/**
 * A minimal FleetProvider for testing the provider-neutral fleet: it records every spec the core
 * hands it and reports servers with predictable addresses, without any cloud package.
 */
import * as pulumi from "@pulumi/pulumi";
import type { FleetProvider, HostNetworkHints, PlatformSpec, ProviderName, ServerSpec, SiteArgs, WorkspacePoolSpec } from "../../../../components/provider";

export interface FakeProviderLog {
  sites: SiteArgs[];
  platform?: PlatformSpec;
  pools: WorkspacePoolSpec[];
  /** Rendered user-data per server name. */
  userData: Record<string, pulumi.Output<string>>;
}

export interface FakeProviderOptions {
  name?: ProviderName;
  /** Workspace servers get no public IPv4 (exercises the bastion path). @default false */
  privateOnly?: boolean;
  sshUser?: string;
  /** Report the public IP as on an interface (Hetzner-like) instead of NAT'd (AWS-like). @default false */
  publicIpOnInterface?: boolean;
  /** The platform gets this floating IP, handed to its user-data as a host hint (as Hetzner does). @default none */
  floatingIp?: string;
  /** The user-data limit the site states (as each cloud provider does). @default none */
  maxUserDataBytes?: number;
  /** The platform's public IPv4, e.g. another one to stand for a replaced platform. @default derived from its private IP */
  platformPublicIp?: string;
}

/** A stable public IP per server (as a cloud keeps it across updates), from the benchmarking range 198.18.0.0/15. */
const publicIpFor = (privateIp: string) => `198.18.${privateIp.split(".").slice(2).join(".")}`;

export function fakeProvider(options: FakeProviderOptions = {}): { provider: FleetProvider; log: FakeProviderLog } {
  const name = options.name ?? "hetzner";
  const log: FakeProviderLog = { sites: [], pools: [], userData: {} };
  const serverOf = (spec: ServerSpec, parent: pulumi.Resource, role: "platform" | "workspace", pool?: string, publicIp?: string, host?: HostNetworkHints) => {
    const server = new pulumi.ComponentResource(`fake:${name}:Server`, `${name}-${spec.name}`, {}, { parent });
    log.userData[spec.name] = spec.userData(spec.volumeGb ? pulumi.output(`/dev/disk/by-id/fake-${spec.name}`) : undefined, host);
    return {
      name: spec.name,
      role,
      pool,
      provider: name,
      region: `${name}-region`,
      location: spec.location,
      privateIp: pulumi.output(spec.privateIp),
      publicIp: pulumi.output(publicIp),
      capacity: { cpus: 2, memoryMb: 4096, diskGb: 40 },
      server,
      readyDependencies: [],
    };
  };
  const provider: FleetProvider = {
    name,
    createSite(args, parent) {
      log.sites.push(args);
      return {
        sshUser: options.sshUser,
        publicIpOnInterface: options.publicIpOnInterface,
        maxUserDataBytes: options.maxUserDataBytes,
        createPlatform(spec) {
          log.platform = spec;
          const ip = options.platformPublicIp ?? publicIpFor(spec.privateIp);
          const hints = options.floatingIp ? { extraPublicIpv4s: [pulumi.output(options.floatingIp)] } : undefined;
          return { ...serverOf(spec, parent, "platform", undefined, ip, hints), publicAddress: pulumi.output(options.floatingIp ?? ip) };
        },
        createWorkspacePool(spec) {
          log.pools.push(spec);
          return spec.servers.map((s) => serverOf(s, parent, "workspace", spec.name, options.privateOnly ? undefined : publicIpFor(s.privateIp)));
        },
      };
    },
  };
  return { provider, log };
}
