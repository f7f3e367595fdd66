/**
 * createPool(): validates the options (and the registry), opens one Docker client per endpoint, runs the first
 * health round, removes what an earlier instance with the same pool id left behind, and starts the refill
 * (and, with `watchRegistryFile`, the watch of the registry file).
 * Nothing half-created: if any step fails, the clients opened so far are closed before the error is thrown.
 */
import { readRegistryFile } from "../registry/schema";
import type { Endpoint, EndpointRegistry, RegistryTls } from "../registry/schema";
import { EndpointClient } from "../docker/endpoint-client";
import { InvalidOptionsError } from "../errors";
import { SandboxSession } from "../sandbox/sandbox-session";
import { CreateCircuitBreaker } from "./circuit-breaker";
import { EndpointHealth } from "./health";
import { acquireInstanceLock } from "./instance-lock";
import { defaultPoolId, PoolOptions, resolvePoolOptions } from "./options";
import { endpointMatchLabels } from "./placement";
import { EndpointEntry } from "./endpoint-entry";
import { Pool } from "./pool";
import type { PoolDependencies, PoolEndpointClient, StartSession } from "./session";

const defaultStartSession: StartSession = (client, profile, labels, options) =>
  SandboxSession.start(client as EndpointClient, profile, labels, options);

/** Creates and starts a pool. See {@link PoolOptions} for every option and its default. */
export async function createPool(options: PoolOptions, dependencies: PoolDependencies = {}): Promise<Pool> {
  const resolved = resolvePoolOptions(options, dependencies.env ?? process.env);
  const registry: EndpointRegistry = resolved.registry ?? (await readRegistryFile(resolved.registryFile!));
  const poolId = resolved.poolId ?? defaultPoolId(registry.stack);
  const clientOptions = { callTimeoutMs: resolved.callTimeoutMs };
  const remoteClient = dependencies.remoteClient ?? ((endpoint, tls, o) => EndpointClient.remote(endpoint, tls, o));
  const localClient = dependencies.localClient ?? ((socketPath, o) => EndpointClient.local(socketPath, o));
  const breaker = () => new CreateCircuitBreaker(resolved.circuitBreaker);
  const newRemoteClient = (endpoint: Endpoint, tls: RegistryTls) => remoteClient(endpoint, tls, clientOptions);
  const remoteEntry = (endpoint: Endpoint, tls: RegistryTls) =>
    new EndpointEntry(endpoint.id, endpoint, endpointMatchLabels(endpoint), endpoint.weight, endpoint.maxContainers, newRemoteClient(endpoint, tls), new EndpointHealth(endpoint.draining === true), breaker());
  const lock = acquireInstanceLock(poolId);

  const entries: EndpointEntry[] = [];
  const opened: PoolEndpointClient[] = [];
  try {
    const { mode } = resolved.placement;
    if (mode !== "local") {
      for (const endpoint of registry.endpoints) {
        const entry = remoteEntry(endpoint, registry.tls);
        opened.push(entry.client);
        entries.push(entry);
      }
    }
    if (mode !== "remote") {
      const p = resolved.placement;
      const client = localClient(p.localSocketPath, clientOptions);
      opened.push(client);
      const labels = endpointMatchLabels({ id: "local", provider: "local", region: "local", location: "local", runtime: "any", labels: p.localLabels }, true);
      entries.push(new EndpointEntry("local", undefined, labels, p.localWeight, p.localMaxContainers, client, new EndpointHealth(false), breaker()));
    }
    if (entries.length === 0) {
      throw new InvalidOptionsError(
        `the registry of stack "${registry.stack}" has no endpoints and placement.mode is "remote"; add workspace servers to the stack or use placement.mode "hybrid" or "local"`,
      );
    }
    const pool = new Pool({
      options: resolved,
      poolId,
      registry,
      entries,
      startSession: dependencies.startSession ?? defaultStartSession,
      now: dependencies.now ?? Date.now,
      random: dependencies.random ?? Math.random,
      onClosed: () => lock.release(),
      remoteEntry,
      remoteClient: newRemoteClient,
    });
    await pool.start();
    if (resolved.watchRegistryFile) {
      try {
        pool.watchRegistryFile(resolved.registryFile!);
      } catch (err) {
        await pool.close();
        throw new InvalidOptionsError(`watchRegistryFile: cannot watch ${resolved.registryFile} (${(err as Error).message}); check that its directory exists and is readable, or turn the option off`);
      }
    }
    return pool;
  } catch (err) {
    for (const client of opened) client.close();
    lock.release();
    throw err;
  }
}
