/**
 * The sandfleet stack program: reads the stack config, picks the providers, composes the fleet.
 * No resource logic lives here (see components/).
 */
import * as pulumi from "@pulumi/pulumi";
import { SandboxFleet } from "../components/fleet";
import type { FleetProvider, ProviderName } from "../components/provider";
import { createProvider } from "./providers";
import { readStackConfig } from "./read-stack-config";

const config = readStackConfig();

const used = new Set<ProviderName>([config.provider, ...config.pools.map((p) => p.provider)]);
const providers: Partial<Record<ProviderName, FleetProvider>> = {};
for (const name of used) providers[name] = createProvider(name);

const fleet = new SandboxFleet(`sandfleet-${config.stack}`, {
  stack: config.stack,
  provider: config.provider,
  providers,
  providerConfigs: config.providers,
  location: config.location,
  networkCidr: config.networkCidr,
  adminCidrs: config.adminCidrs,
  sshPublicKeys: config.sshPublicKeys,
  ...(config.deployKey ? { deployKey: { privateKey: pulumi.secret(config.deployKey.privateKey), publicKey: config.deployKey.publicKey } } : {}),
  platform: config.platform,
  pools: config.pools,
  docker: config.docker,
  tls: config.tls,
  protection: config.protection,
  ...(config.cloudflare ? { cloudflare: config.cloudflare } : {}),
});

/** The registry for the pool runtime (secret: holds the client key). `pulumi stack output endpointRegistry --json --show-secrets > registry.json` */
export const endpointRegistry = fleet.endpointRegistry;
/** The same endpoints without TLS material, readable without --show-secrets. */
export const endpoints = fleet.endpoints;
/** The platform server's stable public address (floating IP). */
export const platformAddress = fleet.platformPublicAddress;
export const platformPrivateIp = fleet.platformPrivateIp;
export const loadBalancerIp = fleet.loadBalancerIp;
/** `sandfleet-<stack>.<domain>` etc., when Cloudflare is configured. */
export const platformDnsName = fleet.platformDnsName;
/** The deploy key (secret); the admin SSH command below uses it. */
export const deployPrivateKey = fleet.deployPrivateKey;
export const deployPublicKey = fleet.deployPublicKey;
export const sshCommand = pulumi.interpolate`pulumi stack output deployPrivateKey --show-secrets > sandfleet-${config.stack}.key && chmod 600 sandfleet-${config.stack}.key && ssh -i sandfleet-${config.stack}.key ${fleet.sshUser}@${fleet.platformPublicAddress}`;
