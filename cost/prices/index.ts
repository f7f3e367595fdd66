/** Every provider's price table, by provider name. `local` runs on your own machine and has none. */
import type { ProviderName } from "../../components/provider";
import { awsPrices } from "./aws";
import { azurePrices } from "./azure";
import { digitaloceanPrices } from "./digitalocean";
import { gcpPrices } from "./gcp";
import { hetznerPrices } from "./hetzner";
import type { PriceTable } from "./price-table";

export type { Currency, PriceTable } from "./price-table";

export const priceTables: Readonly<Partial<Record<ProviderName, PriceTable>>> = {
  hetzner: hetznerPrices,
  aws: awsPrices,
  gcp: gcpPrices,
  azure: azurePrices,
  digitalocean: digitaloceanPrices,
};
