/** One adapter per provider: adding a provider to the conformance suite means adding its adapter here. */
import type { ProviderName } from "../../../../components/provider";
import { awsAdapter } from "./aws";
import { azureAdapter } from "./azure";
import { digitaloceanAdapter } from "./digitalocean";
import type { ProviderAdapter } from "./fleet-view";
import { gcpAdapter } from "./gcp";
import { hetznerAdapter } from "./hetzner";

export const adapters: Partial<Record<ProviderName, ProviderAdapter>> = {
  hetzner: hetznerAdapter,
  aws: awsAdapter,
  gcp: gcpAdapter,
  azure: azureAdapter,
  digitalocean: digitaloceanAdapter,
};

export * from "./fleet-view";
export * from "./inbound-rules";
