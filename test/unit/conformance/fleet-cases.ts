/**
 * The conformance table: one row per provider (and per mixed fleet). A row names the provider, a location
 * and two server types; {@link stackConfigOf} turns it into a full stack config (platform behind a load
 * balancer with a stable IP, a data volume everywhere, two pools, the second one spot), so adding a
 * provider to the suite is one line here plus an adapter in ./adapters.
 */
import type { ProviderName } from "../../../components/provider";

export interface FleetCase {
  /** Row label. */
  label: string;
  provider: ProviderName;
  location: string;
  platformType: string;
  poolType: string;
  /** Runs the `burst` pool in another provider (a mixed fleet): its provider, location and type. */
  burstElsewhere?: { provider: ProviderName; location: string; serverType: string };
}

export const adminCidrs = ["198.51.100.0/24", "192.0.2.128/25"];
export const networkCidr = "10.42.0.0/16";

export const fleetCases: FleetCase[] = [
  { label: "hetzner", provider: "hetzner", location: "fsn1", platformType: "cx23", poolType: "cx33" },
  { label: "aws", provider: "aws", location: "eu-central-1", platformType: "t3.medium", poolType: "m6i.large" },
  { label: "gcp", provider: "gcp", location: "europe-west3", platformType: "e2-medium", poolType: "n2d-standard-2" },
  { label: "azure", provider: "azure", location: "westeurope", platformType: "Standard_B2s", poolType: "Standard_D2as_v5" },
  { label: "digitalocean", provider: "digitalocean", location: "fra1", platformType: "s-2vcpu-4gb", poolType: "s-4vcpu-8gb" },
  {
    label: "mixed: hetzner platform + standard pool, aws spot burst pool",
    provider: "hetzner",
    location: "fsn1",
    platformType: "cx23",
    poolType: "cx33",
    burstElsewhere: { provider: "aws", location: "eu-central-1b", serverType: "c6i.large" },
  },
  { label: "mixed: gcp platform, digitalocean burst pool", provider: "gcp", location: "europe-west3", platformType: "e2-medium", poolType: "e2-standard-2", burstElsewhere: { provider: "digitalocean", location: "fra1", serverType: "s-4vcpu-8gb" } },
  { label: "mixed: azure platform, gcp spot burst pool", provider: "azure", location: "westeurope", platformType: "Standard_B2s", poolType: "Standard_D2as_v5", burstElsewhere: { provider: "gcp", location: "europe-west4-b", serverType: "e2-standard-4" } },
  { label: "mixed: digitalocean platform, hetzner burst pool", provider: "digitalocean", location: "fra1", platformType: "s-2vcpu-4gb", poolType: "s-4vcpu-8gb", burstElsewhere: { provider: "hetzner", location: "nbg1", serverType: "cx33" } },
];

/** The stack config of a row, as `pulumi config` would hold it. */
export function stackConfigOf(c: FleetCase): Record<string, unknown> {
  const burst = c.burstElsewhere;
  return {
    "sandfleet:provider": c.provider,
    "sandfleet:location": c.location,
    "sandfleet:networkCidr": networkCidr,
    "sandfleet:adminCidrs": adminCidrs,
    "sandfleet:platform": {
      serverType: c.platformType,
      volumeGb: 20,
      floatingIp: true,
      loadBalancer: { enabled: true, ports: [80, 443], healthCheckPort: 443 },
    },
    "sandfleet:pools": {
      standard: { count: 3, serverType: c.poolType, volumeGb: 40, maxContainers: 10, weight: 2, labels: { tier: "standard" } },
      burst: {
        count: 2,
        serverType: burst?.serverType ?? c.poolType,
        volumeGb: 40,
        maxContainers: 8,
        spot: true,
        labels: { tier: "burst" },
        ...(burst ? { provider: burst.provider, location: burst.location } : {}),
      },
    },
  };
}
