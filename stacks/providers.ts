/**
 * The provider registry: provider name -> how to create its FleetProvider and how to validate its
 * `sandfleet:<provider>` config section. Adding a provider is one line here.
 *
 * Config schemas are imported eagerly (pure zod, so the stack config parser and the cost CLI stay
 * free of @pulumi); provider implementations load lazily with `import()`, so a Hetzner stack never
 * loads @pulumi/aws or @pulumi/azure-native (seconds each).
 */
import type { ZodTypeAny } from "zod";
import type { FleetProvider, ProviderName } from "../components/provider";
import { hetznerConfigSchema } from "../components/hetzner/config";
import { awsConfigSchema } from "../components/aws/config";
import { gcpConfigSchema } from "../components/gcp/config";
import { azureConfigSchema } from "../components/azure/config";
import { digitaloceanConfigSchema } from "../components/digitalocean/config";
import { localConfigSchema } from "../components/local/config";
import { hetznerServerTypes } from "../components/hetzner/server-types";
import type { NodeArch } from "../components/service/node-runtime";

// Arm server types by the providers' own naming (2026-12): AWS Graviton families carry a `g` after the generation
// (t4g, m7g, c8gd), GCP's Arm machines are t2a, c4a and n4a, Azure's Arm sizes a `p` in their feature letters (D2ps_v5).
const awsArm = (type: string) => (/^[a-z]+\d+g[a-z]*\./.test(type) ? "arm64" : "x64");
const gcpArm = (type: string) => (/^(t2a|c4a|n4a)-/.test(type) ? "arm64" : "x64");
const azureArm = (type: string) => (/^Standard_[A-Z]+\d+[a-z]*p[a-z]*_v\d+$/i.test(type) ? "arm64" : "x64");

export interface ProviderEntry {
  /** Loads and returns the provider; called once per stack that uses it. */
  create(): Promise<FleetProvider>;
  /** Schema of the `sandfleet:<provider>` section (defaults applied); absent = any object. */
  configSchema?: ZodTypeAny;
  /**
   * The machine type of a server type, for the Node the stack ships to the platform (the service's runtime).
   * Pure, from the provider's naming or table. @default x64 for every type
   */
  nodeArch?: (serverType: string) => NodeArch;
}

export type ProviderRegistry = Partial<Record<ProviderName, ProviderEntry>>;

export const providerRegistry: ProviderRegistry = {
  hetzner: {
    create: () => import("../components/hetzner").then((m) => m.hetznerProvider),
    configSchema: hetznerConfigSchema,
    nodeArch: (type) => (hetznerServerTypes[type]?.arch === "arm64" ? "arm64" : "x64"),
  },
  aws: { create: () => import("../components/aws").then((m) => m.awsProvider), configSchema: awsConfigSchema, nodeArch: awsArm },
  gcp: { create: () => import("../components/gcp").then((m) => m.gcpProvider), configSchema: gcpConfigSchema, nodeArch: gcpArm },
  azure: { create: () => import("../components/azure").then((m) => m.azureProvider), configSchema: azureConfigSchema, nodeArch: azureArm },
  digitalocean: { create: () => import("../components/digitalocean").then((m) => m.digitaloceanProvider), configSchema: digitaloceanConfigSchema },
  // Test hosts are containers of this machine's engine: its own machine type.
  local: {
    create: () => import("../components/local").then((m) => m.localProvider),
    configSchema: localConfigSchema,
    nodeArch: () => (process.arch === "arm64" ? "arm64" : "x64"),
  },
};

/** The provider implementation for `name`; throws naming the available ones. */
export async function createProvider(name: ProviderName, registry: ProviderRegistry = providerRegistry): Promise<FleetProvider> {
  const entry = registry[name];
  if (!entry) {
    throw new Error(`provider "${name}" is not available; use one of: ${Object.keys(registry).join(", ")}`);
  }
  return entry.create();
}

/** The platform's machine type for the service's Node: the stack's `service.nodeArch`, else the provider's rule, else x64. */
export function platformNodeArch(
  config: { provider: ProviderName; platform: { serverType: string }; service: { nodeArch?: NodeArch } },
  registry: ProviderRegistry = providerRegistry,
): NodeArch {
  return config.service.nodeArch ?? registry[config.provider]?.nodeArch?.(config.platform.serverType) ?? "x64";
}
