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

export interface ProviderEntry {
  /** Loads and returns the provider; called once per stack that uses it. */
  create(): Promise<FleetProvider>;
  /** Schema of the `sandfleet:<provider>` section (defaults applied); absent = any object. */
  configSchema?: ZodTypeAny;
}

export type ProviderRegistry = Partial<Record<ProviderName, ProviderEntry>>;

export const providerRegistry: ProviderRegistry = {
  hetzner: { create: () => import("../components/hetzner").then((m) => m.hetznerProvider), configSchema: hetznerConfigSchema },
  aws: { create: () => import("../components/aws").then((m) => m.awsProvider), configSchema: awsConfigSchema },
  gcp: { create: () => import("../components/gcp").then((m) => m.gcpProvider), configSchema: gcpConfigSchema },
  azure: { create: () => import("../components/azure").then((m) => m.azureProvider), configSchema: azureConfigSchema },
  digitalocean: { create: () => import("../components/digitalocean").then((m) => m.digitaloceanProvider), configSchema: digitaloceanConfigSchema },
  local: { create: () => import("../components/local").then((m) => m.localProvider), configSchema: localConfigSchema },
};

/** The provider implementation for `name`; throws naming the available ones. */
export async function createProvider(name: ProviderName, registry: ProviderRegistry = providerRegistry): Promise<FleetProvider> {
  const entry = registry[name];
  if (!entry) {
    throw new Error(`provider "${name}" is not available; use one of: ${Object.keys(registry).join(", ")}`);
  }
  return entry.create();
}
