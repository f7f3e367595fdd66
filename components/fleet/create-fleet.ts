/**
 * The fleet's wiring, provider-neutral: plan names and IPs, render user-data, let each provider create
 * its servers, issue Docker TLS, run the post-boot step, build and deliver the endpoint registry, and
 * create DNS records. Nothing here knows a cloud; providers come in through {@link FleetProvider}.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { DOCKER_TLS_PORT, firewallRuleset, renderCloudConfig, type HostCloudConfig } from "../../cloud-init";
import type { Endpoint, EndpointRegistry } from "../../runtime/registry/schema";
import { FleetDns } from "../dns/fleet-dns";
import { publicRecordAddress } from "../dns/public-record-address";
import { checkUserDataSize } from "./user-data-size";
import { HostReadiness } from "../post-boot/host-readiness";
import { PostBootStep, tlsBundle } from "../post-boot/post-boot-step";
import { serverIdentity } from "../post-boot/post-boot-script";
import { rolloutPredecessor, rolloutWaveSize } from "../post-boot/rollout-waves";
import { sshConnection } from "../post-boot/ssh-connection";
import type { HostNetworkHints, ProviderName, ProviderSite, ProvisionedPlatform, ProvisionedServer, ServerSpec } from "../provider";
import { endpointRegistryOutput } from "../registry/endpoint-registry";
import { RegistryDelivery } from "../registry/registry-delivery";
import { DockerTls } from "../tls/docker-tls";
import { SandboxService } from "../service/sandbox-service";
import { SERVICE_HTTPS_PORT } from "../../cloud-init/service-host";
import { planAddresses, type AddressPlan, type PlannedServer } from "./address-plan";
import type { SandboxFleetArgs, WorkspacePoolOptions } from "./args";
import { endpointId, platformDnsName, workspaceDnsName } from "./naming";

import { PLATFORM_VOLUME_MOUNT, WORKSPACE_VOLUME_MOUNT } from "../../cloud-init/volume";
export { PLATFORM_VOLUME_MOUNT, WORKSPACE_VOLUME_MOUNT };
const DEFAULT_SSH_USER = "root";

export interface FleetOutputs {
  endpointRegistry: pulumi.Output<EndpointRegistry>;
  endpoints: pulumi.Output<Endpoint[]>;
  addressPlan: AddressPlan;
  platformPrivateIp: string;
  platformPublicAddress: pulumi.Output<string>;
  loadBalancerIp: pulumi.Output<string | undefined>;
  platformDnsName: pulumi.Output<string | undefined>;
  sshUser: string;
  deployPublicKey: pulumi.Output<string>;
  deployPrivateKey: pulumi.Output<string>;
  caCertPem: pulumi.Output<string>;
  /** The platform's readiness check (cloud-init done, dockerd answering); the registry delivery waits for it. */
  platformReadiness: HostReadiness;
  registryDelivery: RegistryDelivery;
  /** The sandbox service, when the stack installs it. */
  service?: SandboxService;
}

/** One workspace server with everything the later steps need. */
interface WorkspaceServer {
  pool: WorkspacePoolOptions;
  planned: PlannedServer;
  provisioned: ProvisionedServer;
  site: ProviderSite;
  /** True when the server shares the platform's private network (same provider). */
  sameNetwork: boolean;
  dnsName?: string;
  /** The address the pool dials. */
  host: pulumi.Output<string>;
}

export function createSandboxFleet(name: string, args: SandboxFleetArgs, parent: pulumi.ComponentResource): FleetOutputs {
  const plan = planAddresses({
    networkCidr: args.networkCidr,
    pools: args.pools.map((p) => ({ name: p.name, count: p.count, addressBlock: p.addressBlock })),
  });
  const deployKey = deployKeyOf(name, args, parent);
  const authorizedKeys = pulumi
    .all([deployKey.publicKey, ...(args.sshPublicKeys ?? [])])
    .apply((keys) => [...new Set(keys.map((k) => k.trim()))]);

  const sites = createSites(name, args, deployKey.publicKey, parent);
  const sshUserOf = (site: ProviderSite) => site.sshUser ?? DEFAULT_SSH_USER;
  const platformSite = sites.get(args.provider)!;

  // The provider's host hints (a floating IP to bind) become part of the host's cloud-config. Each host's
  // config is kept: its post-boot step sends the firewall ruleset rendered from that same config, because
  // providers read user-data only at creation (see firewallOf below).
  const hostConfigs = new Map<string, pulumi.Output<HostCloudConfig>>();
  const userData = (role: HostCloudConfig["role"], hostname: string, provider: ProviderName, dockerApiSources: pulumi.Input<string>[], publicPorts: number[], mountPoint: string) => {
    const site = sites.get(provider)!;
    return (volumeDevice: pulumi.Output<string> | undefined, host?: HostNetworkHints) => {
      const config = pulumi.all([authorizedKeys, pulumi.all(dockerApiSources), volumeDevice, pulumi.all(host?.extraPublicIpv4s ?? [])]).apply(
        ([keys, sources, device, extraIps]): HostCloudConfig => ({
          role,
          hostname,
          adminUser: sshUserOf(site),
          sshAuthorizedKeys: keys,
          privateNetworkCidr: args.networkCidr,
          dockerApiSources: sources,
          adminCidrs: [...args.adminCidrs],
          publicPorts,
          ...(device ? { volume: { device, mountPoint } } : {}),
          ...(extraIps.length ? { extraIpv4Addresses: [...new Set(extraIps)] } : {}),
          docker: args.docker,
        }),
      );
      hostConfigs.set(hostname, config);
      return config.apply(renderCloudConfig).apply((text) => checkUserDataSize(text, hostname, provider, site.maxUserDataBytes));
    };
  };
  const hostConfigOf = (hostname: string): pulumi.Output<HostCloudConfig> => {
    const config = hostConfigs.get(hostname);
    if (!config) throw new pulumi.ResourceError(`the provider created ${hostname} without rendering its user-data, so its host firewall is unknown`, parent);
    return config;
  };
  /** The host's nftables ruleset now, by the renderer of user-data's copy: what its post-boot step reloads. */
  const firewallOf = (hostname: string) => hostConfigOf(hostname).apply(firewallRuleset);
  /** The host's data volume, which its post-boot step checks and grows. */
  const dataVolumeOf = (hostname: string) => hostConfigOf(hostname).apply((config) => config.volume);

  // Platform server.
  const lb = args.platform.loadBalancer?.enabled ? args.platform.loadBalancer : undefined;
  // The sandbox service's 443: opened on the platform itself, or forwarded by its load balancer (the stack
  // config refuses a load balancer that does not forward to 443 while the service is on).
  const publicPorts = [...new Set([...(args.platform.publicPorts ?? []), ...(args.service && !lb ? [SERVICE_HTTPS_PORT] : [])])].sort((a, b) => a - b);
  // The host firewall must admit the load balancer's traffic to its target ports (it arrives over the
  // private network); the cloud firewall still publishes only `publicPorts`.
  const hostPorts = [...new Set([...publicPorts, ...(lb ? lb.ports.map((p) => p.target) : [])])].sort((a, b) => a - b);
  const platform: ProvisionedPlatform = platformSite.createPlatform({
    name: plan.platform.name,
    serverType: args.platform.serverType,
    location: args.platform.location,
    privateIp: plan.platform.privateIp,
    volumeGb: args.platform.volumeGb ?? 0,
    userData: userData("platform", plan.platform.name, args.provider, [], hostPorts, PLATFORM_VOLUME_MOUNT),
    labels: { role: "platform", stack: args.stack },
    stableIp: args.platform.floatingIp ?? true,
    ...(lb ? { loadBalancer: { type: lb.type, ports: lb.ports.map((p) => ({ ...p })), healthCheckPort: lb.healthCheckPort } } : {}),
    publicPorts,
  });
  // The platform's own address for SSH hops: its primary public IP (a floating IP may not be bound yet).
  const platformSshHost = pulumi.all([platform.publicIp, platform.publicAddress]).apply(([ip, stable]) => ip ?? stable);

  // Workspace pools.
  const workspaces: WorkspaceServer[] = [];
  for (const pool of args.pools) {
    const providerName = pool.provider ?? args.provider;
    const site = sites.get(providerName)!;
    const sameNetwork = providerName === args.provider;
    const dockerApiSources: pulumi.Input<string>[] = sameNetwork
      ? [args.networkCidr]
      : [platform.publicIp.apply((ip) => {
          if (!ip) throw new pulumi.ResourceError(`pool ${pool.name} runs on ${providerName} and must be reached over the platform's public IP, but the platform server has none`, parent);
          return `${ip}/32`;
        })];
    const planned = plan.pools[pool.name];
    const specs: ServerSpec[] = planned.servers.map((server) => ({
      name: server.name,
      serverType: pool.serverType,
      location: pool.location,
      privateIp: server.privateIp,
      volumeGb: pool.volumeGb ?? 0,
      userData: userData("workspace", server.name, providerName, dockerApiSources, [], WORKSPACE_VOLUME_MOUNT),
      labels: { role: "workspace", stack: args.stack, pool: pool.name, ...(pool.labels ?? {}) },
    }));
    const provisioned = specs.length
      ? site.createWorkspacePool({ name: pool.name, servers: specs, spread: pool.spread ?? true, spot: pool.spot ?? false, dockerApiSources })
      : [];
    for (const server of planned.servers) {
      const match = provisioned.find((p) => p.name === server.name);
      if (!match) throw new pulumi.ResourceError(`provider ${providerName} did not report server ${server.name} of pool ${pool.name}`, parent);
      const host = sameNetwork
        ? match.privateIp
        : match.publicIp.apply((ip) => {
            if (!ip) throw new pulumi.ResourceError(`${server.name} runs on ${providerName} without a public IPv4, so the platform cannot reach it`, parent);
            return ip;
          });
      const dnsName = args.cloudflare?.workspaceRecords ? workspaceDnsName(server.name, args.stack, args.cloudflare.domain) : undefined;
      workspaces.push({ pool, planned: server, provisioned: match, site, sameNetwork, dnsName, host });
    }
  }

  // Docker TLS: SANs cover every address the pool may dial.
  const dockerTls = new DockerTls(
    `${name}-docker-tls`,
    {
      stack: args.stack,
      servers: workspaces.map((w) => ({ name: w.planned.name, privateIp: w.provisioned.privateIp, publicIp: w.provisioned.publicIp, dnsName: w.dnsName })),
      validityHours: args.tls?.validityHours,
      epoch: args.tls?.epoch,
      renewWithinDays: args.tls?.renewWithinDays,
    },
    { parent },
  );

  // Post-boot: TLS material over SSH, through the platform when a server has no public address.
  // Each run restarts dockerd, so within a pool the steps roll out in waves: server i waits for the step of
  // server i - waveSize (a rotation never takes a whole pool's Docker API down at once; a failing wave stops
  // its pool's rollout). Pools roll independently. On first creation this costs little: cloud-init runs on
  // every server in parallel from boot, independently of these steps, so by the time a later wave's turn
  // comes its servers have finished cloud-init and the step takes seconds.
  const stepsByPool = new Map<string, PostBootStep[]>();
  const steps = workspaces.map((w) => {
    const user = sshUserOf(w.site);
    const cert = dockerTls.servers[w.planned.name];
    const poolSteps = stepsByPool.get(w.pool.name) ?? [];
    stepsByPool.set(w.pool.name, poolSteps);
    const waveSize = rolloutWaveSize(w.pool.count, args.tls?.rolloutWaves);
    const predecessor = rolloutPredecessor(poolSteps.length, waveSize);
    const step = new PostBootStep(
      `${name}-${w.planned.name}-post-boot`,
      {
        role: "workspace",
        connection: sshConnection({
          publicIp: w.provisioned.publicIp,
          privateIp: w.provisioned.privateIp,
          user,
          privateKey: deployKey.privateKey,
          ...(w.sameNetwork ? { bastion: { host: platformSshHost, user: sshUserOf(platformSite) } } : {}),
          jumpHost: args.sshJumpHost,
        }),
        listenAddress: w.provisioned.privateIp,
        // Dialled over its public IP from another cloud: behind NAT (AWS, GCP, Azure) that traffic reaches the
        // private-IP listener; where the public IP is on an interface (Hetzner) dockerd must listen on it too.
        // The host firewall admits 2376 only from dockerApiSources (the platform's public IP) either way.
        ...(!w.sameNetwork && w.site.publicIpOnInterface ? { extraListenAddresses: [w.host] } : {}),
        tlsBundle: tlsBundle(dockerTls.caCertPem, cert.certPem, cert.keyPem),
        firewallRuleset: firewallOf(w.planned.name),
        dataVolume: dataVolumeOf(w.planned.name),
        sudo: user !== "root",
        // The volume's size: growing it re-runs the step, which grows the filesystem.
        triggers: [dockerTls.caCertPem, cert.certPem, `volumeGb=${w.pool.volumeGb ?? 0}`],
        server: w.provisioned.server,
        dependsOn: [w.provisioned.server, ...w.provisioned.readyDependencies, ...(w.sameNetwork ? [platform.server] : [])],
        after: predecessor === undefined ? [] : [poolSteps[predecessor]],
      },
      { parent },
    );
    poolSteps.push(step);
    return step;
  });

  // The registry: only servers whose post-boot step reported success.
  const endpointRegistry = endpointRegistryOutput({
    stack: args.stack,
    caCertPem: dockerTls.caCertPem,
    clientCertPem: dockerTls.clientCertPem,
    clientKeyPem: dockerTls.clientKeyPem,
    parent,
    servers: workspaces.map((w, i) => ({
      id: endpointId(w.provisioned.provider, w.pool.location, w.pool.name, w.planned.index),
      serverName: w.planned.name,
      host: w.host,
      publicHost: w.provisioned.publicIp,
      port: DOCKER_TLS_PORT,
      provider: w.provisioned.provider,
      region: w.provisioned.region,
      location: w.pool.location,
      maxContainers: w.pool.maxContainers,
      weight: w.pool.weight ?? 1,
      capacity: w.provisioned.capacity,
      labels: {
        tier: w.pool.name,
        ...(w.pool.labels ?? {}),
        provider: w.provisioned.provider,
        region: w.provisioned.region,
        location: w.pool.location,
        pool: w.pool.name,
      },
      draining: w.pool.draining ?? false,
      postBootStdout: steps[i].stdout,
    })),
  });

  // The platform gets no TLS listener, but the same script waits for its cloud-init, so a platform whose
  // cloud-init failed fails `pulumi up` here instead of silently receiving the registry.
  const platformUser = sshUserOf(platformSite);
  const platformConnection = sshConnection({
    publicIp: platformSshHost,
    privateIp: platform.privateIp,
    user: platformUser,
    privateKey: deployKey.privateKey,
    jumpHost: args.sshJumpHost,
  });
  const platformReadiness = new HostReadiness(
    `${name}-${plan.platform.name}-readiness`,
    {
      role: "platform",
      connection: platformConnection,
      sudo: platformUser !== "root",
      firewallRuleset: firewallOf(plan.platform.name),
      dataVolume: dataVolumeOf(plan.platform.name),
      // A replaced platform server is waited for again; a grown volume is grown on the host.
      triggers: [...serverIdentity(platform.server), `volumeGb=${args.platform.volumeGb ?? 0}`],
      dependsOn: [platform.server, ...platform.readyDependencies],
    },
    { parent },
  );
  const registryDelivery = new RegistryDelivery(
    `${name}-registry`,
    {
      connection: platformConnection,
      registry: endpointRegistry,
      sudo: platformUser !== "root",
      // A replaced platform gets the files again even when the registry is unchanged.
      triggers: serverIdentity(platform.server),
      dependsOn: [platformReadiness.run],
    },
    { parent },
  );

  let platformDns = pulumi.output<string | undefined>(undefined);
  let platformDnsNameValue: string | undefined;
  if (args.cloudflare) {
    const cf = args.cloudflare;
    const dns = new FleetDns(
      `${name}-dns`,
      {
        zoneId: cf.zoneId,
        platformName: platformDnsName(cf.platformRecord, cf.domain),
        platformAddress: platform.loadBalancerIp ?? platform.publicAddress,
        proxied: cf.proxied,
        ttl: cf.ttl,
        // Public zone: the server's public IPv4, never the private address the platform dials.
        workspaceRecords: workspaces
          .filter((w) => w.dnsName)
          .map((w) => ({ name: w.dnsName!, address: w.provisioned.publicIp.apply((ip) => publicRecordAddress(w.planned.name, ip)) })),
      },
      { parent },
    );
    platformDns = dns.platformName;
    platformDnsNameValue = platformDnsName(cf.platformRecord, cf.domain);
  }

  // The sandbox service: after the registry is on the platform (it starts only with one).
  const service = args.service
    ? new SandboxService(
        `${name}-service`,
        {
          stack: args.stack,
          connection: platformConnection,
          sudo: platformUser !== "root",
          node: args.service.node,
          bundle: args.service.bundle,
          pool: args.service.pool,
          dataVolumeMount: PLATFORM_VOLUME_MOUNT,
          // The name clients dial: the DNS record, else the load balancer, else the stable IP.
          publicHost: platformDnsNameValue ?? platform.loadBalancerIp ?? platform.publicAddress,
          addresses: [platform.publicAddress, platform.loadBalancerIp ?? pulumi.output<string | undefined>(undefined), platform.privateIp],
          dnsNames: [platformDnsNameValue],
          // Full (strict): Cloudflare's Origin CA certificate for the proxied name, served to Cloudflare by SNI.
          ...(args.cloudflare?.originCertificate?.enabled && platformDnsNameValue
            ? { originCertificate: { hostname: platformDnsNameValue, validityDays: args.cloudflare.originCertificate.validityDays } }
            : {}),
          validityHours: args.tls?.validityHours,
          epoch: args.tls?.epoch,
          renewWithinDays: args.tls?.renewWithinDays,
          publishedAt: platform.publishedService,
          triggers: serverIdentity(platform.server),
          dependsOn: [registryDelivery.registryFile],
        },
        { parent },
      )
    : undefined;

  return {
    endpointRegistry,
    endpoints: pulumi.unsecret(endpointRegistry.apply((r) => r.endpoints)),
    addressPlan: plan,
    platformPrivateIp: plan.platform.privateIp,
    platformPublicAddress: platform.publicAddress,
    loadBalancerIp: platform.loadBalancerIp ?? pulumi.output<string | undefined>(undefined),
    platformDnsName: platformDns,
    sshUser: platformUser,
    deployPublicKey: deployKey.publicKey,
    deployPrivateKey: deployKey.privateKey,
    caCertPem: dockerTls.caCertPem,
    platformReadiness,
    registryDelivery,
    ...(service ? { service } : {}),
  };
}

/** The deploy key: the user's, or an ED25519 key generated once per stack (secret). */
function deployKeyOf(name: string, args: SandboxFleetArgs, parent: pulumi.Resource) {
  if (args.deployKey) {
    return {
      privateKey: pulumi.secret(pulumi.output(args.deployKey.privateKey)),
      publicKey: pulumi.output(args.deployKey.publicKey).apply((k) => k.trim()),
    };
  }
  const key = new tls.PrivateKey(`${name}-deploy-key`, { algorithm: "ED25519" }, { parent, additionalSecretOutputs: ["privateKeyOpenssh", "privateKeyPem"] });
  return { privateKey: pulumi.secret(key.privateKeyOpenssh), publicKey: key.publicKeyOpenssh.apply((k) => k.trim()) };
}

/** One provider site per provider the fleet uses; the platform's provider first. */
function createSites(name: string, args: SandboxFleetArgs, deployPublicKey: pulumi.Output<string>, parent: pulumi.ComponentResource) {
  const sites = new Map<ProviderName, ProviderSite>();
  const order: ProviderName[] = [args.provider, ...args.pools.map((p) => p.provider ?? args.provider)];
  for (const providerName of order) {
    if (sites.has(providerName)) continue;
    const provider = args.providers[providerName];
    if (!provider) {
      throw new pulumi.ResourceError(`the fleet uses provider ${providerName} but no implementation was given; add it to stacks/providers.ts`, parent);
    }
    const location = providerName === args.provider ? args.location : args.pools.find((p) => p.provider === providerName)!.location;
    sites.set(
      providerName,
      provider.createSite(
        {
          name,
          stack: args.stack,
          location,
          networkCidr: args.networkCidr,
          adminCidrs: [...args.adminCidrs],
          sshPublicKeys: [deployPublicKey, ...(args.sshPublicKeys ?? [])],
          tags: { app: "sandfleet", stack: args.stack },
          protection: args.protection ?? { deleteProtection: false, retainVolumes: false },
          providerConfig: args.providerConfigs?.[providerName],
        },
        parent,
      ),
    );
  }
  return sites;
}
