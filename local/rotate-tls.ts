/**
 * Certificate rotation on the local fleet: what bumping `sandfleet:tls.epoch` and running `pulumi up` does
 * on the cloud path, with the same pieces and in the same order:
 *   1. re-issue every host's server cert and the pool's client cert (new keys) from the SAME CA
 *      (components/tls/local-issuer.ts, the profile the cloud path issues with @pulumi/tls);
 *   2. re-run the post-boot TLS step on each host over SSH (the same script: files replaced atomically,
 *      dockerd restarted, live-restore keeps running containers), one host at a time so that at most one
 *      endpoint is restarting at any moment;
 *   3. rewrite the registry file with the new client cert and key; CA and endpoints stay as they are.
 *
 * Why this order never locks a client out: the CA does not change, so servers keep accepting the old client
 * cert until it expires, and clients keep trusting the new server certs. A pool running on the old registry
 * goes on working and picks the new client cert up when it next reads the registry.
 */
import { issueDockerTls, type IssuedCert, type LocalDockerTls } from "../components/tls/local-issuer";
import { parseRegistry, readRegistryFile, type EndpointRegistry } from "../runtime/registry/schema";
import { LOCAL_ADMIN_USER, type LocalFleet } from "./fleet";
import { runPostBootOnHost, type ConfiguredHost } from "./post-boot";
import { consoleProgress, type Progress } from "./progress";
import { writeRegistryFile } from "./registry-file";

export interface RotateLocalTlsOptions {
  /** Fleet name: part of the client cert's common name, as at `up`. */
  fleet: string;
  /** Every host whose dockerd serves TLS (workspace and platform hosts). */
  hosts: readonly ConfiguredHost[];
  /** The fleet's CA, with its key: the new certs are signed by it. */
  ca: IssuedCert;
  /** The deploy key's private half (OpenSSH), for the post-boot step over SSH. */
  deployPrivateKey: string;
  /** The admin user on the hosts (`sandfleet` on test hosts). */
  sshUser: string;
  /** The registry file to rewrite (mode 0600). */
  registryPath: string;
  /** Validity of the new certs. @default dockerTlsProfile.defaultValidityHours */
  validityHours?: number;
  /** @default consoleProgress() */
  progress?: Progress;
}

export interface HostRotation {
  host: string;
  /** Time of the post-boot step on this host (upload, install, dockerd restart, checks). */
  durationMs: number;
}

export interface RotatedTls {
  /** The new material (same CA). */
  tls: LocalDockerTls;
  /** The registry as written. */
  registry: EndpointRegistry;
  hosts: HostRotation[];
  /** Issue + every host + registry. */
  durationMs: number;
}

/** Rotates every server cert and the client cert of a running local fleet; see the file comment. */
export async function rotateLocalTls(options: RotateLocalTlsOptions): Promise<RotatedTls> {
  const started = Date.now();
  const progress = options.progress ?? consoleProgress(started);

  // Refuse a registry from another CA before touching any host: it would end up with a client cert
  // that its servers do not accept.
  const current = await readRegistryFile(options.registryPath);
  if (current.tls.ca.trim() !== options.ca.certPem.trim()) {
    throw new Error(`${options.registryPath} was issued by another CA than the fleet's; rotate with the CA the registry names, or run 'up' again`);
  }

  const tls = await issueDockerTls({
    stack: options.fleet,
    ca: options.ca,
    validityHours: options.validityHours,
    // The same SANs as at `up`: the host name (what the pool verifies) and its private IP.
    servers: options.hosts.map((host) => ({ serverName: host.name, privateIp: host.privateIp })),
  });
  progress.info(`rotation: issued ${options.hosts.length} server certs and a client cert from the fleet's CA`);

  const hosts: HostRotation[] = [];
  for (const host of options.hosts) {
    const result = await runPostBootOnHost(host, tls, { username: options.sshUser, privateKey: options.deployPrivateKey }, progress);
    hosts.push({ host: host.name, durationMs: result.durationMs });
  }

  const registry = parseRegistry(
    { ...current, tls: { ca: current.tls.ca, clientCert: tls.client.certPem, clientKey: tls.client.keyPem } },
    "rotated registry",
  );
  writeRegistryFile(options.registryPath, registry);
  const durationMs = Date.now() - started;
  progress.info(`rotation: done in ${(durationMs / 1000).toFixed(1)} s; registry ${options.registryPath} has the new client cert`);
  return { tls, registry, hosts, durationMs };
}

/** {@link rotateLocalTls} for a fleet that `upFleet` returned in this process. */
export function rotateFleetTls(fleet: LocalFleet, options: { progress?: Progress; validityHours?: number } = {}): Promise<RotatedTls> {
  return rotateLocalTls({
    fleet: fleet.fleet,
    hosts: fleet.hosts,
    ca: fleet.tls.ca,
    deployPrivateKey: fleet.deployKey.privateKey,
    sshUser: LOCAL_ADMIN_USER,
    registryPath: fleet.registryPath,
    ...options,
  });
}
