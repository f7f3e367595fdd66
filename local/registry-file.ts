/**
 * The local fleet's endpoint registry: the same schema as the cloud stacks' `endpointRegistry` output,
 * with every workspace endpoint dialled at 127.0.0.1 on the port the engine published for the host's 2376
 * (the pool runs on this machine, not on the platform host). Written 0600: it holds the client key.
 */
import { mkdirSync, writeFileSync, chmodSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { dirname } from "node:path";
import { parseRegistry, REGISTRY_VERSION } from "../runtime/registry/schema";
import type { Endpoint, EndpointRegistry } from "../runtime/registry/schema";
import type { LocalDockerTls } from "../components/tls/local-issuer";
import type { BootedHost } from "./hosts";
import { DOCKER_TLS_PORT } from "../cloud-init/ports";

export interface LocalRegistryInput {
  fleet: string;
  tls: LocalDockerTls;
  workspaces: BootedHost[];
  /** @default 8 */
  maxContainers?: number;
}

export function localEndpointId(fleet: string, host: string): string {
  return `local-${fleet}-${host}`.toLowerCase().replace(/[^a-z0-9._-]/g, "-").slice(0, 63);
}

export function buildLocalRegistry(input: LocalRegistryInput): EndpointRegistry {
  const endpoints: Endpoint[] = input.workspaces.map((host) => ({
    id: localEndpointId(input.fleet, host.name),
    host: "127.0.0.1",
    port: host.dockerPort,
    serverName: host.name,
    publicHost: "127.0.0.1",
    provider: "local",
    region: "local",
    location: "docker",
    runtime: "runsc",
    maxContainers: input.maxContainers ?? 8,
    weight: 1,
    // Test hosts share this machine: report its size, not a slice of it.
    capacity: { cpus: cpus().length, memoryMb: Math.floor(totalmem() / 1048576), diskGb: 10 },
    labels: { provider: "local", region: "local", tier: "standard", host: host.name },
  }));
  return parseRegistry(
    {
      version: REGISTRY_VERSION,
      stack: input.fleet,
      tls: { ca: input.tls.ca.certPem, clientCert: input.tls.client.certPem, clientKey: input.tls.client.keyPem },
      endpoints,
    },
    `local fleet ${input.fleet}`,
  );
}

export function writeRegistryFile(path: string, registry: EndpointRegistry): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(path, `${JSON.stringify(parseRegistry(registry), null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/**
 * The registry as the platform host receives it: every endpoint at its private address and 2376, as a cloud
 * platform dials its workspace servers (their certificates carry the private IP), instead of this machine's
 * published loopback ports.
 */
export function platformRegistry(registry: EndpointRegistry, workspaces: Pick<BootedHost, "name" | "privateIp">[]): EndpointRegistry {
  const privateIp = new Map(workspaces.map((w) => [w.name, w.privateIp]));
  return parseRegistry(
    {
      ...registry,
      endpoints: registry.endpoints.map((e) => {
        const ip = privateIp.get(e.serverName ?? "");
        if (!ip) throw new Error(`registry endpoint ${e.id}: no workspace host named ${e.serverName}`);
        return { ...e, host: ip, port: DOCKER_TLS_PORT, publicHost: ip };
      }),
    },
    `local fleet ${registry.stack} (as the platform sees it)`,
  );
}
