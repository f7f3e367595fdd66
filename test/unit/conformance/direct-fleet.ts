/**
 * Builds a fleet straight through the provider interface (createSite -> createPlatform ->
 * createWorkspacePool), the way the core does, for the conformance suite and the per-provider tests.
 * Names and private IPs come from the core's address plan; user-data is a stand-in renderer that records
 * what the provider handed it (the volume device), so tests can check the provider passes both through.
 *
 * Call only after `installPulumiMocks()`: it imports the providers lazily.
 */
import * as pulumi from "@pulumi/pulumi";
import { planAddresses } from "../../../components/fleet/address-plan";
import type {
  FleetProvider,
  LoadBalancerSpec,
  ProviderName,
  ProvisionedPlatform,
  ProvisionedServer,
  ServerSpec,
} from "../../../components/provider";
import { createProvider } from "../../../stacks/providers";

export interface PoolCase {
  name: string;
  count: number;
  serverType: string;
  /** @default the case's provider */
  provider?: ProviderName;
  location?: string;
  volumeGb?: number;
  spot?: boolean;
  spread?: boolean;
  tier?: string;
}

export interface FleetCase {
  /** Row label in the conformance table. */
  label: string;
  provider: ProviderName;
  location: string;
  providerConfig?: Partial<Record<ProviderName, Record<string, unknown>>>;
  /** Locations of the other providers a mixed fleet uses. */
  locations?: Partial<Record<ProviderName, string>>;
  platform: {
    serverType: string;
    volumeGb?: number;
    stableIp?: boolean;
    loadBalancer?: LoadBalancerSpec;
    publicPorts?: number[];
  };
  pools: PoolCase[];
}

export const fleetName = "sandfleet-test";
export const adminCidrs = ["198.51.100.7/32", "192.0.2.0/28"];
export const networkCidr = "10.20.0.0/16";
export const deployKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMockDeployKey deploy@sandfleet";

export interface DirectFleet {
  platform: ProvisionedPlatform;
  servers: ProvisionedServer[];
  /** What each server's userData callback was given, by server name. */
  volumeDevices: Map<string, pulumi.Output<string> | undefined>;
  /** Docker API sources handed to each pool, by pool name. */
  dockerApiSources: Map<string, pulumi.Input<string>[]>;
}

/** Stand-in for the core's cloud-init renderer: plain text naming the role and the volume device. */
function standInUserData(role: "platform" | "workspace", name: string) {
  return (device: pulumi.Output<string> | undefined) =>
    pulumi
      .output(device)
      .apply((d) => `#cloud-config\n# role: ${role}\nhostname: ${name}\n# volume: ${d ?? "none"}\n`);
}

export async function buildDirectFleet(c: FleetCase): Promise<DirectFleet> {
  class Fleet extends pulumi.ComponentResource {
    constructor() {
      super("sandfleet:test:Fleet", fleetName, {});
    }
  }
  const root = new Fleet();
  const plan = planAddresses({ networkCidr, pools: c.pools.map((p) => ({ name: p.name, count: p.count })) });
  const sites = new Map<ProviderName, ReturnType<FleetProvider["createSite"]>>();
  const siteOf = async (provider: ProviderName) => {
    let site = sites.get(provider);
    if (!site) {
      const implementation = await createProvider(provider);
      site = implementation.createSite(
        {
          name: fleetName,
          stack: "test",
          location: provider === c.provider ? c.location : c.locations![provider]!,
          networkCidr,
          adminCidrs,
          sshPublicKeys: [deployKey],
          tags: { "sandfleet-stack": "test", "sandfleet-fleet": fleetName },
          protection: { deleteProtection: false, retainVolumes: false },
          providerConfig: c.providerConfig?.[provider] ?? {},
        },
        root,
      );
      sites.set(provider, site);
    }
    return site;
  };
  const volumeDevices = new Map<string, pulumi.Output<string> | undefined>();
  const recordingUserData = (role: "platform" | "workspace", name: string): ServerSpec["userData"] => {
    const render = standInUserData(role, name);
    return (device) => {
      volumeDevices.set(name, device);
      return render(device);
    };
  };

  const platformSite = await siteOf(c.provider);
  const platform = platformSite.createPlatform({
    name: plan.platform.name,
    serverType: c.platform.serverType,
    location: c.location,
    privateIp: plan.platform.privateIp,
    volumeGb: c.platform.volumeGb ?? 20,
    userData: recordingUserData("platform", plan.platform.name),
    labels: { role: "platform" },
    stableIp: c.platform.stableIp ?? true,
    loadBalancer: c.platform.loadBalancer,
    publicPorts: c.platform.publicPorts ?? [],
  });
  const servers: ProvisionedServer[] = [platform];
  const dockerApiSources = new Map<string, pulumi.Input<string>[]>();
  for (const pool of c.pools) {
    const provider = pool.provider ?? c.provider;
    const location = pool.location ?? (provider === c.provider ? c.location : c.locations![provider]!);
    // What the core does: the private range in the platform's provider, the platform's public /32 elsewhere.
    const sources = provider === c.provider ? [networkCidr] : [platform.publicAddress.apply((ip) => `${ip}/32`)];
    dockerApiSources.set(pool.name, sources);
    const site = await siteOf(provider);
    servers.push(
      ...site.createWorkspacePool({
        name: pool.name,
        spread: pool.spread ?? true,
        spot: pool.spot ?? false,
        dockerApiSources: sources,
        servers: plan.pools[pool.name].servers.map((s) => ({
          name: s.name,
          serverType: pool.serverType,
          location,
          privateIp: s.privateIp,
          volumeGb: pool.volumeGb ?? 40,
          userData: recordingUserData("workspace", s.name),
          labels: { tier: pool.tier ?? pool.name, pool: pool.name },
        })),
      }),
    );
  }
  return { platform, servers, volumeDevices, dockerApiSources };
}
