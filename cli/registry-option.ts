/** The `--registry FILE` option shared by the commands that talk to a fleet. */
import { EndpointRegistry, readRegistryFile } from "../runtime/registry/schema";
import { CliUsageError } from "./io";

export async function loadRegistryOption(path: string | undefined): Promise<EndpointRegistry> {
  const file = path ?? process.env.SANDFLEET_REGISTRY_FILE;
  if (!file) {
    throw new CliUsageError(
      "--registry FILE is required (or set SANDFLEET_REGISTRY_FILE); " +
        "write it with 'pulumi stack output endpointRegistry --json --show-secrets > registry.json'",
    );
  }
  return readRegistryFile(file);
}

export function parsePositiveMs(value: string | undefined, option: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new CliUsageError(`${option} must be a positive number of milliseconds, got "${value}"`);
  return n;
}
