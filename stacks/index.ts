/**
 * The sandfleet stack program: reads the stack config, picks the providers, composes the fleet.
 * No resource logic lives here (see components/).
 */
import * as pulumi from "@pulumi/pulumi";
import { SandboxFleet } from "../components/fleet";
import { costStackOutput } from "../cost";
import type { FleetProvider, ProviderName } from "../components/provider";
import { buildServiceBundle, ensureNodeTarball } from "../components/service";
import { createProvider, platformNodeArch } from "./providers";
import { readStackConfig } from "./read-stack-config";

const config = readStackConfig();

// What the platform receives for the sandbox service, from this checkout and the pinned Node (components/service).
const service = config.service.enabled
  ? { node: ensureNodeTarball(platformNodeArch(config)), bundle: buildServiceBundle(), pool: config.service.pool }
  : undefined;

async function loadProviders(): Promise<Partial<Record<ProviderName, FleetProvider>>> {
  const used = new Set<ProviderName>([config.provider, ...config.pools.map((p) => p.provider)]);
  const providers: Partial<Record<ProviderName, FleetProvider>> = {};
  for (const name of used) providers[name] = await createProvider(name);
  return providers;
}

// Providers load lazily (a Hetzner stack never loads @pulumi/aws), so the fleet is built after they load;
// the exports below wait for it.
const fleetReady: Promise<SandboxFleet> = loadProviders().then(
  (providers) =>
    new SandboxFleet(`sandfleet-${config.stack}`, {
      stack: config.stack,
      provider: config.provider,
      providers,
      providerConfigs: config.providers,
      location: config.location,
      networkCidr: config.networkCidr,
      adminCidrs: config.adminCidrs,
      sshPublicKeys: config.sshPublicKeys,
      ...(config.ssh.bastion
        ? {
            sshJumpHost: {
              ...config.ssh.bastion,
              ...(config.ssh.bastion.privateKey ? { privateKey: pulumi.secret(config.ssh.bastion.privateKey) } : {}),
            },
          }
        : {}),
      ...(config.deployKey ? { deployKey: { privateKey: pulumi.secret(config.deployKey.privateKey), publicKey: config.deployKey.publicKey } } : {}),
      platform: config.platform,
      pools: config.pools,
      docker: config.docker,
      tls: config.tls,
      protection: config.protection,
      ...(config.cloudflare ? { cloudflare: config.cloudflare } : {}),
      ...(service ? { service } : {}),
    }),
);
const fromFleet = <T>(pick: (fleet: SandboxFleet) => pulumi.Output<T>): pulumi.Output<T> =>
  pulumi.output(fleetReady.then(pick)) as pulumi.Output<T>;

/** The registry for the pool runtime (secret: holds the client key). `pulumi stack output endpointRegistry --json --show-secrets > registry.json` */
export const endpointRegistry = pulumi.secret(fromFleet((f) => f.endpointRegistry));
/** The same endpoints without TLS material, readable without --show-secrets. */
export const endpoints = fromFleet((f) => f.endpoints);
/** The platform server's stable public address (floating IP). */
export const platformAddress = fromFleet((f) => f.platformPublicAddress);
export const platformPrivateIp = fromFleet((f) => f.platformPrivateIp);
export const loadBalancerIp = fromFleet((f) => f.loadBalancerIp);
/** `sandfleet-<stack>.<domain>` etc., when Cloudflare is configured. */
export const platformDnsName = fromFleet((f) => f.platformDnsName);
/** The deploy key (secret); the admin SSH command below uses it. */
export const deployPrivateKey = pulumi.secret(fromFleet((f) => f.deployPrivateKey));
export const deployPublicKey = fromFleet((f) => f.deployPublicKey);
/** The sandbox service's URL (`https://…`, port 443), when `sandfleet:service.enabled` (the default). */
export const serviceUrl = fromFleet((f) => f.serviceUrl);
/** Its initial API key (secret): `pulumi stack output serviceApiKey --show-secrets`. Only its hash is on the host. */
export const serviceApiKey = pulumi.secret(fromFleet((f) => f.serviceApiKey));
/** The CA of the service's certificate: `pulumi stack output serviceCaCert > service-ca.pem`, then `curl --cacert service-ca.pem`. */
export const serviceCaCert = fromFleet((f) => f.serviceCaCertPem);
/**
 * Monthly list-price estimate of this stack (per currency, per pool, per container slot; no VAT), from the
 * dated tables in cost/prices. An unpriced server type is a warning, never a failed deployment.
 */
const cost = costStackOutput(config);
if (cost.warning) pulumi.log.warn(cost.warning);
export const costEstimate = cost.summary;
export const sshCommand = pulumi.interpolate`pulumi stack output deployPrivateKey --show-secrets > sandfleet-${config.stack}.key && chmod 600 sandfleet-${config.stack}.key && ssh -i sandfleet-${config.stack}.key ${fromFleet((f) => f.sshUser)}@${platformAddress}`;
