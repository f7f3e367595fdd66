/**
 * The `endpointRegistry` stack output: resolved once every post-boot step has run, validated with the
 * runtime's schema, and secret as a whole because it carries the pool's client key.
 */
import * as pulumi from "@pulumi/pulumi";
import type { Capacity, Endpoint } from "../../runtime/registry/schema";
import { buildEndpointRegistry } from "./build-registry";

/** One workspace server as the registry needs it; addresses and stdout are outputs of earlier steps. */
export interface RegistryServer {
  id: string;
  serverName: string;
  /** Address the pool dials. */
  host: pulumi.Input<string>;
  publicHost: pulumi.Input<string | undefined>;
  port: number;
  provider: string;
  region: string;
  location: string;
  maxContainers: number;
  weight: number;
  capacity: Capacity;
  labels: Record<string, string>;
  draining: boolean;
  /** stdout of the server's post-boot step. */
  postBootStdout: pulumi.Input<string>;
}

export interface EndpointRegistryArgs {
  stack: string;
  caCertPem: pulumi.Input<string>;
  clientCertPem: pulumi.Input<string>;
  clientKeyPem: pulumi.Input<string>;
  servers: RegistryServer[];
  /** Where warnings about skipped servers are attached. */
  parent: pulumi.Resource;
}

export function endpointRegistryOutput(args: EndpointRegistryArgs) {
  const endpoints = args.servers.map((server) =>
    pulumi.all([server.host, server.publicHost, server.postBootStdout]).apply(([host, publicHost, postBootStdout]) => {
      const endpoint: Endpoint = {
        id: server.id,
        host,
        port: server.port,
        serverName: server.serverName,
        ...(publicHost ? { publicHost } : {}),
        provider: server.provider,
        region: server.region,
        location: server.location,
        runtime: "runsc",
        maxContainers: server.maxContainers,
        weight: server.weight,
        capacity: server.capacity,
        labels: server.labels,
        ...(server.draining ? { draining: true } : {}),
      };
      return { endpoint, postBootStdout };
    }),
  );
  const registry = pulumi
    .all([args.caCertPem, args.clientCertPem, args.clientKeyPem, pulumi.all(endpoints)])
    .apply(([ca, clientCert, clientKey, candidates]) => {
      const built = buildEndpointRegistry(args.stack, { ca, clientCert, clientKey }, candidates);
      if (built.skipped.length > 0) {
        pulumi.log.warn(
          `left out of the endpoint registry because their post-boot step reported no success: ${built.skipped.join(", ")}; ` +
            `check the step's output and run 'pulumi up' again`,
          args.parent,
        );
      }
      return built.registry;
    });
  return pulumi.secret(registry);
}
