import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { estimateStackCost } from "../../../cost/estimate";
import { parseStackConfig } from "../../../stacks/config";
import { awsCapacityOf } from "../../../components/aws/instance-types";
import { awsPlacementOf } from "../../../components/aws/regions";
import { gcpCapacityOf } from "../../../components/gcp/machine-types";
import { gcpPlacementOf } from "../../../components/gcp/regions";
import { azureCapacityOf } from "../../../components/azure/vm-sizes";
import { azureRegionOf } from "../../../components/azure/regions";
import { digitaloceanCapacityOf } from "../../../components/digitalocean/droplet-sizes";
import { digitaloceanRegionOf } from "../../../components/digitalocean/regions";

/** Each provider's own checks of a location and a server type (they throw on unknown values). */
const catalogs = {
  aws: { location: awsPlacementOf, serverType: awsCapacityOf },
  gcp: { location: gcpPlacementOf, serverType: gcpCapacityOf },
  azure: { location: azureRegionOf, serverType: azureCapacityOf },
  digitalocean: { location: digitaloceanRegionOf, serverType: digitaloceanCapacityOf },
};

const providers = ["aws", "gcp", "azure", "digitalocean"] as const;
const readme = (provider: string) => readFileSync(join(__dirname, "..", "..", "..", "components", provider, "README.md"), "utf8");

describe.each(providers)("the %s README", (provider) => {
  const text = readme(provider);
  const yamlBlock = /```yaml\n([\s\S]*?)```/.exec(text)?.[1] ?? "";
  const config = (parse(yamlBlock) as { config: Record<string, unknown> }).config;

  it("shows a minimal stack file that the stack config accepts", () => {
    const parsed = parseStackConfig(config, provider);
    expect(parsed.provider).toBe(provider);
    expect(parsed.pools.length).toBeGreaterThan(0);
    expect(() => catalogs[provider].location(parsed.location)).not.toThrow();
    for (const type of [parsed.platform.serverType, ...parsed.pools.map((p) => p.serverType)]) {
      expect(catalogs[provider].serverType(type, 0).cpus).toBeGreaterThan(0);
    }
  });

  it("states the monthly cost that `sandfleet cost` computes for that stack file", () => {
    const estimate = estimateStackCost(parseStackConfig(config, provider));
    expect(text).toContain(`**${estimate.monthly.USD!.toFixed(2)} USD/month**`);
  });
});
