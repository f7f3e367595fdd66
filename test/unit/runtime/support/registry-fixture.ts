/**
 * Registries for the runtime's unit tests: schema-valid, with PEM-shaped placeholders for the TLS material
 * (these tests replace the Docker layer, so nothing is ever dialled).
 */
import type { Endpoint, EndpointRegistry } from "../../../../runtime/registry/schema";

const PEM_CERT = "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n";
const PEM_KEY = "-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n";

/** A runsc endpoint with every required field; `overrides` set what a test is about. */
export function unitEndpoint(id: string, overrides: Partial<Endpoint> = {}): Endpoint {
  return {
    id,
    host: "127.0.0.1",
    port: 1,
    provider: "test",
    region: "r",
    location: "l",
    runtime: "runsc",
    maxContainers: 10,
    weight: 1,
    capacity: { cpus: 1, memoryMb: 1024, diskGb: 1 },
    labels: {},
    ...overrides,
  };
}

/** A registry of `endpoints` (stack "unit" unless given), its TLS material placeholders unless overridden. */
export function unitRegistry(endpoints: Endpoint[], options: { stack?: string; tls?: Partial<EndpointRegistry["tls"]> } = {}): EndpointRegistry {
  return {
    version: 1,
    stack: options.stack ?? "unit",
    tls: { ca: PEM_CERT, clientCert: PEM_CERT, clientKey: PEM_KEY, ...options.tls },
    endpoints,
  };
}
