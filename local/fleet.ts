/**
 * The local fleet: the cloud path's steps, run against test hosts on the local Docker engine.
 *   image (cached) -> private network -> user-data (the cloud renderer) -> hosts boot in parallel
 *   -> cloud-init -> post-boot TLS step over SSH -> sandbox image side-loaded -> registry file (0600).
 * `downFleet` removes every container, volume, network and file `upFleet` created.
 */
import { existsSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import Docker from "dockerode";
import { renderCloudConfig } from "../cloud-init";
import type { HostCloudConfig } from "../cloud-init";
import { issueDockerTls, LocalDockerTls } from "../components/tls/local-issuer";
import type { EndpointRegistry } from "../runtime/registry/schema";
import {
  BootedHost,
  bootHost,
  CloudInitResult,
  detectPrivilegeMode,
  ensurePrivateNetwork,
  HostRole,
  HostSpec,
  LOCAL_ADMIN_USER,
  PrivateNetwork,
  removeFleetResources,
  subnetAddresses,
  waitForCloudInit,
} from "./hosts";
import { runPostBootOnHost } from "./post-boot";
import { consoleProgress, Progress } from "./progress";
import { buildLocalRegistry, platformRegistry, writeRegistryFile } from "./registry-file";
import { sideloadSandboxImage } from "./sandbox-image";
import { installLocalService, type LocalService } from "./service";
import { SERVICE_HTTPS_PORT } from "../cloud-init/service-host";
import { DeployKey, ensureDeployKey } from "./ssh";
import { ensureTestHostImage, TestHostImage } from "./test-host-image";

export { LOCAL_ADMIN_USER };

export interface LocalFleetOptions {
  /** Fleet name: prefixes every container, network and volume, and labels them. @default "local" */
  fleet?: string;
  /** Workspace hosts. @default 2 ($SANDFLEET_LOCAL_WORKSPACES) */
  workspaces?: number;
  /** Platform hosts. @default 1 ($SANDFLEET_LOCAL_PLATFORMS) */
  platforms?: number;
  /** Private network range (a Docker network of the fleet's own). @default "10.213.0.0/24" */
  subnet?: string;
  /** Where the deploy key and registry go. @default ".sandfleet/<fleet>" */
  stateDir?: string;
  docker?: Docker;
  progress?: Progress;
  /**
   * Workspace hosts' Docker settings beyond the defaults: `gvisorNetwork: "host"` gives gVisor sandboxes a
   * network here (the container's own namespace under Docker; test-only, the renderer warns), `sandboxDns`
   * points containers and the egress proxy at a resolver of the test's own. @default {}
   */
  workspaceDocker?: Partial<Pick<HostCloudConfig["docker"], "gvisorNetwork" | "sandboxDns">>;
}

export interface ResolvedFleetOptions {
  fleet: string;
  workspaces: number;
  platforms: number;
  subnet: string;
  stateDir: string;
  docker: Docker;
  progress: Progress;
  workspaceDocker: Partial<Pick<HostCloudConfig["docker"], "gvisorNetwork" | "sandboxDns">>;
}

export function resolveFleetOptions(options: LocalFleetOptions = {}, env: NodeJS.ProcessEnv = process.env): ResolvedFleetOptions {
  const fleet = options.fleet ?? env.SANDFLEET_LOCAL_FLEET ?? "local";
  if (!/^[a-z0-9][a-z0-9-]{0,20}$/.test(fleet)) {
    throw new Error(`fleet name "${fleet}": use lower-case letters, digits and '-' (max 21), e.g. "local"`);
  }
  const count = (value: number | undefined, envValue: string | undefined, fallback: number, name: string, min: number) => {
    const n = value ?? (envValue !== undefined && envValue !== "" ? Number(envValue) : fallback);
    if (!Number.isInteger(n) || n < min || n > 50) throw new Error(`${name} must be a whole number from ${min} to 50, got ${n}`);
    return n;
  };
  return {
    fleet,
    workspaces: count(options.workspaces, env.SANDFLEET_LOCAL_WORKSPACES, 2, "workspaces (--workspaces, SANDFLEET_LOCAL_WORKSPACES)", 1),
    platforms: count(options.platforms, env.SANDFLEET_LOCAL_PLATFORMS, 1, "platforms (--platforms, SANDFLEET_LOCAL_PLATFORMS)", 0),
    subnet: options.subnet ?? env.SANDFLEET_LOCAL_SUBNET ?? "10.213.0.0/24",
    stateDir: resolve(options.stateDir ?? join(".sandfleet", fleet)),
    docker: options.docker ?? new Docker(),
    progress: options.progress ?? consoleProgress(),
    workspaceDocker: options.workspaceDocker ?? {},
  };
}

/** One host as planned: name, role, private IP and its cloud-init input. */
export interface HostPlan {
  name: string;
  role: HostRole;
  privateIp: string;
  cloudConfig: HostCloudConfig;
}

/**
 * Plans the hosts: platform hosts `platform-N` first, then `ws-N`, with fixed private IPs (.10 upwards).
 * The cloud-init input is what the cloud path would render, with the settings these machines need:
 * Debian 13's packages (no upstream repositories reachable) and runsc with systrap (what cloud servers use;
 * Debian 13's runsc has it) and no sandbox network (`--network=sandbox` fails on this kind of kernel).
 */
export function planHosts(
  options: Pick<ResolvedFleetOptions, "platforms" | "workspaces" | "subnet"> & Partial<Pick<ResolvedFleetOptions, "workspaceDocker">>,
  deployPublicKey: string,
): HostPlan[] {
  const { gateway, hostIp } = subnetAddresses(options.subnet);
  const roles: { name: string; role: HostRole }[] = [
    ...Array.from({ length: options.platforms }, (_, i) => ({ name: `platform-${i + 1}`, role: "platform" as const })),
    ...Array.from({ length: options.workspaces }, (_, i) => ({ name: `ws-${i + 1}`, role: "workspace" as const })),
  ];
  return roles.map(({ name, role }, index) => ({
    name,
    role,
    privateIp: hostIp(index),
    cloudConfig: {
      role,
      hostname: name,
      adminUser: LOCAL_ADMIN_USER,
      sshAuthorizedKeys: [deployPublicKey],
      privateNetworkCidr: options.subnet,
      dockerApiSources: role === "workspace" ? [options.subnet] : [],
      // Published ports reach the host from the engine's address on the private network.
      adminCidrs: [`${gateway}/32`],
      // The sandbox service's HTTPS on the platform, as on a cloud platform (published on 127.0.0.1 only).
      publicPorts: role === "platform" ? [SERVICE_HTTPS_PORT] : [],
      docker: {
        packageSource: "distro",
        gvisorPlatform: "systrap",
        gvisorNetwork: "none",
        prePullImages: [],
        ...(role === "workspace" ? options.workspaceDocker : {}),
      },
    },
  }));
}

export interface PhaseTiming {
  phase: string;
  durationMs: number;
  detail?: string;
}

export interface FleetHost extends BootedHost {
  userData: string;
  /** What `userData` was rendered from; a later post-boot run reloads this config's firewall. */
  cloudConfig: HostCloudConfig;
  cloudInit: CloudInitResult;
  postBootMs: number;
  defaultRuntime: string;
}

export interface LocalFleet {
  fleet: string;
  stateDir: string;
  registryPath: string;
  registry: EndpointRegistry;
  image: TestHostImage;
  network: PrivateNetwork;
  hosts: FleetHost[];
  tls: LocalDockerTls;
  deployKey: DeployKey;
  timings: PhaseTiming[];
  /** The sandbox service on the first platform host (absent with --platforms 0). */
  service?: LocalService;
}

export function registryPath(stateDir: string): string {
  return join(stateDir, "registry.json");
}

function deployKeyPath(stateDir: string): string {
  return join(stateDir, "deploy_key");
}

/** Boots the whole fleet. Anything of an earlier run of the same fleet is replaced first. */
export async function upFleet(input: LocalFleetOptions = {}): Promise<LocalFleet> {
  const options = resolveFleetOptions(input);
  const { docker, progress, fleet, stateDir } = options;
  const timings: PhaseTiming[] = [];
  const timed = async <T>(phase: string, fn: () => Promise<T>, detail?: (value: T) => string): Promise<T> => {
    const started = Date.now();
    const value = await fn();
    timings.push({ phase, durationMs: Date.now() - started, detail: detail?.(value) });
    return value;
  };

  const image = await timed("test-host image", () => ensureTestHostImage({ docker, progress }), (i) => `${i.cached ? "cached" : "built"}, base ${i.base}`);

  const { network, plans, tls, deployKey, mode } = await timed("network, user-data, TLS", async () => {
    const removed = await removeFleetResources(docker, fleet);
    if (removed.length) progress.info(`replacing the earlier '${fleet}' fleet: removed ${removed.length} resources`);
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    const key = ensureDeployKey(deployKeyPath(stateDir));
    const planned = planHosts(options, key.publicKey);
    const net = await ensurePrivateNetwork(docker, fleet, options.subnet);
    progress.info(`network ${net.name} ${net.subnet}`);
    const issued = await issueDockerTls({
      stack: fleet,
      servers: planned.map((p) => ({ serverName: p.name, privateIp: p.privateIp })),
    });
    return { network: net, plans: planned, tls: issued, deployKey: key, mode: await detectPrivilegeMode(docker, image.tag) };
  });

  const specs: (HostSpec & { plan: HostPlan })[] = plans.map((plan) => ({
    name: plan.name,
    role: plan.role,
    privateIp: plan.privateIp,
    userData: renderCloudConfig(plan.cloudConfig),
    plan,
  }));

  const booted = await timed("boot + cloud-init (parallel)", () =>
    Promise.all(
      specs.map(async (spec) => {
        const host = await bootHost({ docker, fleet, image: image.tag, network, spec, mode, progress });
        const cloudInit = await waitForCloudInit(docker, host, progress);
        if (cloudInit.status !== "done" || cloudInit.exitCode !== 0) {
          throw new Error(`${spec.name}: cloud-init ended '${cloudInit.status}' (exit ${cloudInit.exitCode}):\n${cloudInit.detail}`);
        }
        return { host, cloudInit, userData: spec.userData, cloudConfig: spec.plan.cloudConfig };
      }),
    ),
  (hosts) => hosts.map((h) => `${h.host.name} ${(h.cloudInit.durationMs / 1000).toFixed(0)}s`).join(", "));

  const hosts = await timed("post-boot TLS over SSH", () =>
    Promise.all(
      booted.map(async ({ host, cloudInit, userData, cloudConfig }): Promise<FleetHost> => {
        const result = await runPostBootOnHost({ ...host, cloudConfig }, tls, { username: LOCAL_ADMIN_USER, privateKey: deployKey.privateKey }, progress);
        if (host.role === "workspace") await sideloadSandboxImage(docker, host);
        return { ...host, userData, cloudConfig, cloudInit, postBootMs: result.durationMs, defaultRuntime: result.report.defaultRuntime };
      }),
    ),
  );

  const path = registryPath(stateDir);
  const registry = await timed("registry", async () => {
    const built = buildLocalRegistry({ fleet, tls, workspaces: hosts.filter((h) => h.role === "workspace") });
    writeRegistryFile(path, built);
    progress.info(`registry: ${path} (${built.endpoints.length} endpoints, mode 0600)`);
    return built;
  });

  // The sandbox service on the first platform host, after the registry (it starts only with one), as `pulumi up` does.
  const platform = hosts.find((h) => h.role === "platform");
  const service = platform
    ? await timed(
        "sandbox service (copy Node + bundle, systemd unit)",
        () => installLocalService({ fleet, stateDir, platform, registry: platformRegistry(registry, hosts.filter((h) => h.role === "workspace")), login: { username: LOCAL_ADMIN_USER, privateKey: deployKey.privateKey }, progress }),
        (s) => `${s.url}, Node ${(s.nodeTarballBytes / 2 ** 20).toFixed(1)} MiB + bundle ${(s.bundleBytes / 1024).toFixed(0)} KiB`,
      )
    : undefined;

  return { fleet, stateDir, registryPath: path, registry, image, network, hosts, tls, deployKey, timings, ...(service ? { service } : {}) };
}

export interface DownOptions {
  fleet?: string;
  stateDir?: string;
  docker?: Docker;
  progress?: Progress;
}

/** Removes every container, volume and network of the fleet, and its state directory. Returns what it removed. */
export async function downFleet(input: DownOptions = {}): Promise<string[]> {
  const options = resolveFleetOptions({ ...input, workspaces: 1, platforms: 0 });
  const removed = await removeFleetResources(options.docker, options.fleet);
  if (existsSync(options.stateDir)) {
    rmSync(options.stateDir, { recursive: true, force: true });
    removed.push(`directory ${options.stateDir}`);
  }
  // `up` created the parent (.sandfleet/) too when it was missing; leave no empty folder behind.
  const parent = dirname(options.stateDir);
  if (basename(parent) === ".sandfleet" && existsSync(parent) && readdirSync(parent).length === 0) {
    rmSync(parent, { recursive: true, force: true });
    removed.push(`directory ${parent}`);
  }
  return removed;
}
