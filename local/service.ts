/**
 * The sandbox service on the local fleet's platform host, installed the way `pulumi up` installs it on a cloud
 * platform: the same install script, the same pinned Node tarball, the same bundle built from this checkout, the
 * same file set on stdin over SSH (components/service, cloud-init/service-host.ts), after the registry is put
 * where the stack's RegistryDelivery puts it with the same commands. Its 443 is published on 127.0.0.1.
 *
 * What stays on this machine, in the fleet's state directory: the API key (0600; the host has its hash only) and
 * the service's CA certificate, which clients trust (`curl --cacert`).
 */
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  NODE_TARBALL_REMOTE_PATH,
  parseServiceInstallReport,
  SERVICE_BUNDLE_REMOTE_PATH,
  SERVICE_INSTALL_SCRIPT_LOCAL_PATH,
  SERVICE_INSTALL_SCRIPT_REMOTE_PATH,
  serviceHostFileSet,
  serviceInstallCommand,
} from "../cloud-init/service-host";
import { registryDeliveryCommands } from "../components/registry/registry-commands";
import { newServiceApiKey, serviceApiKeyHash, serviceUrl } from "../components/service/api-key";
import { ensureNodeTarball, type NodeArch } from "../components/service/node-runtime";
import { buildServiceBundle } from "../components/service/service-bundle";
import { issueDockerTls, type LocalDockerTls } from "../components/tls/local-issuer";
import { dockerTlsProfile } from "../components/tls/profile";
import type { EndpointRegistry } from "../runtime/registry/schema";
import { PLATFORM_VOLUME_MOUNT } from "../cloud-init/volume";
import type { BootedHost } from "./hosts";
import type { Progress } from "./progress";
import { LOCAL_SANDBOX_IMAGE } from "./sandbox-image";
import { sshConnect, sshExec } from "./ssh";

export interface LocalService {
  /** `https://127.0.0.1:<published port>` (also in `urlPath`). */
  url: string;
  urlPath: string;
  /** The initial API key (also in `apiKeyPath`, 0600). */
  apiKey: string;
  apiKeyPath: string;
  /** The service's CA certificate (PEM file): what clients trust. */
  caPath: string;
  /** What the install script reported (Node version, bundle digest, unit state). */
  report: Record<string, unknown>;
  /** The registry the platform host received (private addresses). */
  registry: EndpointRegistry;
  /** Bytes copied: Node tarball and bundle. */
  nodeTarballBytes: number;
  bundleBytes: number;
  durationMs: number;
}

export interface InstallLocalServiceOptions {
  fleet: string;
  stateDir: string;
  platform: BootedHost;
  /** The registry as the platform dials it (see registry-file.ts `platformRegistry`). */
  registry: EndpointRegistry;
  login: { username: string; privateKey: string };
  progress: Progress;
  /**
   * Install again over a running service with this API key and a renewed certificate (CA + leaf from
   * `issueDockerTls`), as a `pulumi up` in a new renewal period does: only the TLS files change, so the install
   * script reloads the unit instead of restarting it. @default a new key and a new CA + leaf
   */
  again?: { apiKey: string; tls: Pick<LocalDockerTls, "ca" | "servers"> };
}

/** The Node the local fleet's hosts need: this machine's own architecture (the hosts are its containers). */
export const localNodeArch = (): NodeArch => (process.arch === "arm64" ? "arm64" : "x64");

/** The leaf's name in {@link issueLocalServiceTls}'s result. */
export const LOCAL_SERVICE_CERT_NAME = "sandfleet-service";

/** The service's CA and HTTPS leaf for a local platform host (127.0.0.1 and localhost are SANs of every server cert). */
export function issueLocalServiceTls(fleet: string, privateIp: string): Promise<LocalDockerTls> {
  return issueDockerTls({
    stack: fleet,
    caCommonName: dockerTlsProfile.serviceCa.commonName(fleet),
    servers: [{ serverName: LOCAL_SERVICE_CERT_NAME, privateIp }],
  });
}

export async function installLocalService(options: InstallLocalServiceOptions): Promise<LocalService> {
  const started = Date.now();
  const { platform, progress } = options;
  if (!platform.servicePort) throw new Error(`${platform.name}: no published 443 port; the sandbox service runs on a platform host`);
  const node = ensureNodeTarball(localNodeArch());
  const bundle = buildServiceBundle();
  progress.host(platform.name, `service: Node ${node.version} (${node.arch}), bundle ${bundle.digest.slice(0, 12)} (${(bundle.bytes / 1024).toFixed(0)} KiB)`);

  const tls = options.again?.tls ?? (await issueLocalServiceTls(options.fleet, platform.privateIp));
  const leaf = tls.servers[LOCAL_SERVICE_CERT_NAME];
  if (!leaf) throw new Error(`the service's TLS material has no '${LOCAL_SERVICE_CERT_NAME}' leaf (issue it with issueLocalServiceTls)`);
  const apiKey = options.again?.apiKey ?? newServiceApiKey();
  const fileSet = serviceHostFileSet({
    nodeVersion: node.version,
    nodeIntegrity: node.integrity,
    nodeArch: node.arch,
    bundleDigest: bundle.digest,
    dataVolumeMount: PLATFORM_VOLUME_MOUNT,
    tls: { certPem: `${leaf.certPem.trim()}\n${tls.ca.certPem.trim()}\n`, keyPem: leaf.keyPem },
    initialApiKeySha256: serviceApiKeyHash(apiKey),
    // Test hosts pull nothing: the side-loaded busybox image is every sandbox's image.
    pool: { profiles: { default: { image: LOCAL_SANDBOX_IMAGE } } },
  });

  const client = await sshConnect({ host: "127.0.0.1", port: platform.sshPort, ...options.login });
  try {
    const sudo = options.login.username !== "root";
    const asRoot = sudo ? "sudo -n " : "";
    const run = async (what: string, command: string, stdin: string | Buffer, timeoutMs = 300_000) => {
      const result = await sshExec(client, command, { stdin, timeoutMs });
      if (result.exitCode !== 0) {
        throw new Error(`${platform.name}: ${what} failed (exit ${result.exitCode}):\n${(result.stdout + result.stderr).trim().split("\n").slice(-30).join("\n")}`);
      }
      return result;
    };
    // The registry, exactly as the stack's RegistryDelivery writes it.
    await run("registry delivery", registryDeliveryCommands.writeRegistry(asRoot), JSON.stringify(options.registry, null, 2) + "\n");
    const upload = (path: string) => `${asRoot}sh -c 'umask 077; cat > "$1"' _ ${path}`;
    await run("copying the install script", upload(SERVICE_INSTALL_SCRIPT_REMOTE_PATH), readFileSync(SERVICE_INSTALL_SCRIPT_LOCAL_PATH));
    await run("copying Node", upload(NODE_TARBALL_REMOTE_PATH), readFileSync(node.path));
    await run("copying the service bundle", upload(SERVICE_BUNDLE_REMOTE_PATH), readFileSync(bundle.path));
    progress.host(platform.name, "service: installing the systemd unit and starting sandfleet-service.service");
    const command = serviceInstallCommand(
      { nodeVersion: node.version, nodeIntegrity: node.integrity, nodeArch: node.arch, bundleDigest: bundle.digest, dataVolumeMount: PLATFORM_VOLUME_MOUNT },
      sudo,
    );
    const result = await run("the service install", command, fileSet, 600_000);
    const report = parseServiceInstallReport(result.stdout);
    if (!report) throw new Error(`${platform.name}: the service install printed no SANDFLEET_SERVICE_OK line:\n${result.stdout}${result.stderr}`);

    const apiKeyPath = join(options.stateDir, "service-api-key");
    writeFileSync(apiKeyPath, `${apiKey}\n`, { mode: 0o600 });
    chmodSync(apiKeyPath, 0o600);
    const caPath = join(options.stateDir, "service-ca.pem");
    writeFileSync(caPath, tls.ca.certPem, { mode: 0o644 });
    const url = serviceUrl("127.0.0.1", platform.servicePort);
    const urlPath = join(options.stateDir, "service-url");
    writeFileSync(urlPath, `${url}\n`, { mode: 0o644 });
    const durationMs = Date.now() - started;
    progress.host(platform.name, `service: running in ${(durationMs / 1000).toFixed(1)} s ${JSON.stringify(report)}`);
    return {
      url,
      urlPath,
      apiKey,
      apiKeyPath,
      caPath,
      report,
      registry: options.registry,
      nodeTarballBytes: readFileSync(node.path).length,
      bundleBytes: bundle.bytes,
      durationMs,
    };
  } finally {
    client.end();
  }
}

/**
 * The commands `npm start` prints and the README shows: a sandbox taken from the service over HTTPS and
 * `uname -r` run in it under gVisor (4.4.0), with curl and sed only, reading URL, CA and key from the files
 * `npm start` wrote. Run verbatim by test/e2e/local-service.test.ts; test/unit/local/service-lines.test.ts keeps
 * the README's copy equal to these.
 */
export function serviceCurlLines(service: Pick<LocalService, "urlPath" | "apiKeyPath" | "caPath">, cwd = process.cwd()): string[] {
  const rel = (path: string) => (path.startsWith(`${cwd}/`) ? path.slice(cwd.length + 1) : path);
  const curl = `curl -fsS --cacert "$CA" -H "Authorization: Bearer $KEY"`;
  const json = `${curl} -H 'content-type: application/json'`;
  return [
    `URL=$(cat ${rel(service.urlPath)}) CA=${rel(service.caPath)} KEY=$(cat ${rel(service.apiKeyPath)})`,
    `id=$(${json} -d '{}' "$URL/v1/sandboxes" | sed -E 's/.*"id":"([^"]+)".*/\\1/')`,
    `${json} -d '{"argv":["uname","-r"]}' "$URL/v1/sandboxes/$id/exec"`,
    `${curl} -X DELETE "$URL/v1/sandboxes/$id" >/dev/null`,
  ];
}

/** The files of `npm start`'s default fleet (`local`), as the README's copy of {@link serviceCurlLines} names them. */
export const readmeServicePaths = {
  urlPath: join(process.cwd(), ".sandfleet", "local", "service-url"),
  caPath: join(process.cwd(), ".sandfleet", "local", "service-ca.pem"),
  apiKeyPath: join(process.cwd(), ".sandfleet", "local", "service-api-key"),
};
