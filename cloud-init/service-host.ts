/**
 * The sandbox service on the platform host: where its files live, its systemd units and the file set the
 * install step writes. Rendered from typed data in this one place for both deploy paths (the cloud path with
 * @pulumi/command, `npm start` with ssh2), which send the file set on the install script's stdin over SSH:
 * the service's TLS key and the API key's hash never enter user-data or a command line.
 *
 * Layout on the host (the service's state lives on the platform's data volume, mounted at /srv/sandfleet):
 *   /opt/sandfleet/node/<version>/bin/node           Node, the stack's pinned version (node-runtime.ts)
 *   /opt/sandfleet/service/<digest>/                 the service bundle, one directory per build; `current` links to it
 *   /etc/sandfleet-service/config.json               the service's config with the initial key's hash (root:sandfleet-service 0640)
 *   /etc/sandfleet-service/tls/{cert,key}.pem        its TLS certificate and key (key 0440, group sandfleet-service)
 *   /etc/sandfleet-service/tls/<name>.{cert,key}.pem a certificate served only to SNI <name> (the Cloudflare Origin CA one)
 *   /srv/sandfleet/service/                          dataDir: SQLite database, the service's copy of the registry
 *
 * The service's config has a directory of its own: /etc/sandfleet is root-only (0750; it holds the registry and the
 * pool's client key). The registry (/etc/sandfleet/registry.json) stays root-only; a root oneshot copies it into the data directory
 * for the service user, before every start and whenever the file changes (a .path unit), then reloads the service.
 * Pure: no @pulumi import.
 */
import { join } from "node:path";
import { CloudConfigInputError } from "./errors";
import { SANDFLEET_STATE_DIR } from "./post-boot";
import { shellJoin } from "./shell";
import { renderUnit, type UnitSections } from "./systemd-unit";

/** The service's unit, what `systemctl status` and the docs name. */
export const SERVICE_UNIT = "sandfleet-service.service";
/** The root oneshot that copies the registry for the service user and reloads the service. */
export const SERVICE_REGISTRY_UNIT = "sandfleet-service-registry.service";
/** Watches the delivered registry; starts {@link SERVICE_REGISTRY_UNIT} on every change. */
export const SERVICE_REGISTRY_PATH_UNIT = "sandfleet-service-registry.path";
/** The system user the service runs as (no login, no Docker group: it reaches Docker only over mTLS). */
export const SERVICE_USER = "sandfleet-service";
/** The port the service listens on: HTTPS only, the one port the platform opens for it. */
export const SERVICE_HTTPS_PORT = 443;

export const SERVICE_CONFIG_DIR = "/etc/sandfleet-service";
export const SERVICE_CONFIG_PATH = `${SERVICE_CONFIG_DIR}/config.json`;
export const SERVICE_TLS_CERT_PATH = `${SERVICE_CONFIG_DIR}/tls/cert.pem`;
export const SERVICE_TLS_KEY_PATH = `${SERVICE_CONFIG_DIR}/tls/key.pem`;
export const NODE_INSTALL_ROOT = "/opt/sandfleet/node";
export const SERVICE_INSTALL_ROOT = "/opt/sandfleet/service";
/** The bundle's entry file inside its directory. */
export const SERVICE_ENTRY_FILE = "sandfleet-service.cjs";
/** Where the deploy copies the install script, the Node tarball and the bundle before running the script. */
export const SERVICE_INSTALL_SCRIPT_REMOTE_PATH = `${SANDFLEET_STATE_DIR}/install-sandbox-service.sh`;
/** The install script on this machine (it ships with the package, next to the post-boot TLS script). */
export const SERVICE_INSTALL_SCRIPT_LOCAL_PATH = join(__dirname, "post-boot", "install-sandbox-service.sh");
export const NODE_TARBALL_REMOTE_PATH = `${SANDFLEET_STATE_DIR}/node-runtime.tgz`;
export const SERVICE_BUNDLE_REMOTE_PATH = `${SANDFLEET_STATE_DIR}/sandfleet-service.tgz`;
/** The registry as the platform receives it (components/registry/registry-delivery.ts writes it). */
export const DELIVERED_REGISTRY_PATH = "/etc/sandfleet/registry.json";
/** Prefix of the install script's last line on success; JSON follows after one space. */
export const SERVICE_INSTALL_OK_MARKER = "SANDFLEET_SERVICE_OK";

export interface ServiceHostConfig {
  /** Node's version as shipped (e.g. `24.22.3`): its install directory. */
  nodeVersion: string;
  /** `sha512-<base64>` of the Node tarball (npm's integrity field): the host checks the copy against it. */
  nodeIntegrity: string;
  /** `x64` or `arm64`: the host refuses a tarball for another machine type. */
  nodeArch: "x64" | "arm64";
  /** SHA-256 (hex) of the bundle tarball: its install directory, so every build sits next to the last one. */
  bundleDigest: string;
  /** Where the platform's data volume is mounted; the service's state is `<mount>/service`. */
  dataVolumeMount: string;
  /** The service's TLS certificate chain (PEM, leaf first) and key (PEM, secret): every handshake without a named match. */
  tls: { certPem: string; keyPem: string };
  /**
   * Certificates served only to handshakes whose SNI is `serverName` (lower-case DNS name): the Cloudflare Origin
   * CA certificate for the proxied platform name (`sandfleet:cloudflare.originCertificate`). @default []
   */
  tlsByServerName?: { serverName: string; certPem: string; keyPem: string }[];
  /** SHA-256 (hex, 64 characters) of the initial API key: the only form of the key that reaches the host. */
  initialApiKeySha256: string;
  /**
   * The service's pool settings (the runtime's createPool options, e.g. `{ profiles: { default: { image } } }`),
   * passed through as the service config's `pool`. @default {} (the service's defaults)
   */
  pool?: Record<string, unknown>;
}

/** The service's data directory on the data volume. */
export const serviceDataDir = (dataVolumeMount: string) => `${dataVolumeMount}/service`;
/** The service's own, readable copy of the registry. */
export const serviceRegistryCopy = (dataVolumeMount: string) => `${serviceDataDir(dataVolumeMount)}/registry.json`;

/** Where a certificate served by SNI lives: next to the default pair, so a change of it is a reload, not a restart. */
export const serviceSniTlsPaths = (serverName: string) => ({
  certFile: `${SERVICE_CONFIG_DIR}/tls/${serverName}.cert.pem`,
  keyFile: `${SERVICE_CONFIG_DIR}/tls/${serverName}.key.pem`,
});

/**
 * Every TLS pair the service serves, with its paths on the host: the one list both the config's `tls` section and
 * the file set are made from, so a file the service reads is a file the install writes (below tls/: a change of
 * them alone is a reload, not a restart).
 */
export function serviceTlsPairs(config: Pick<ServiceHostConfig, "tls" | "tlsByServerName">): { serverName?: string; certFile: string; keyFile: string; certPem: string; keyPem: string }[] {
  return [
    { certFile: SERVICE_TLS_CERT_PATH, keyFile: SERVICE_TLS_KEY_PATH, ...config.tls },
    ...(config.tlsByServerName ?? []).map((pair) => ({ ...serviceSniTlsPaths(pair.serverName), ...pair })),
  ];
}

/** The JSON config the service's `--config` reads (service/config.ts validates it). */
export function serviceConfigJson(config: Pick<ServiceHostConfig, "dataVolumeMount" | "initialApiKeySha256" | "pool" | "tls" | "tlsByServerName">): string {
  const [byDefault, ...byServerName] = serviceTlsPairs(config);
  return (
    JSON.stringify(
      {
        listen: { host: "0.0.0.0", port: SERVICE_HTTPS_PORT },
        tls: {
          certFile: byDefault!.certFile,
          keyFile: byDefault!.keyFile,
          ...(byServerName.length > 0 ? { byServerName: byServerName.map(({ serverName, certFile, keyFile }) => ({ serverName, certFile, keyFile })) } : {}),
        },
        registryFile: serviceRegistryCopy(config.dataVolumeMount),
        dataDir: serviceDataDir(config.dataVolumeMount),
        pool: config.pool ?? {},
        // Inserted at start when missing: the stack's initial key, by its hash only.
        bootstrapKeys: [{ name: "stack-initial", sha256: config.initialApiKeySha256 }],
      },
      null,
      2,
    ) + "\n"
  );
}

const renderServiceUnit = (why: string, sections: UnitSections) => renderUnit("cloud-init/service-host.ts", why, sections);

const nodeBinary = (version: string) => `${NODE_INSTALL_ROOT}/${version}/bin/node`;

/** `sandfleet-service.service`: the API server, as its own user, restarted on failure. */
export function serviceUnit(config: Pick<ServiceHostConfig, "nodeVersion" | "dataVolumeMount">): string {
  const dataDir = serviceDataDir(config.dataVolumeMount);
  return renderServiceUnit("The sandbox service: HTTPS API on 443, sandboxes through the pool runtime.", [
    [
      "Unit",
      [
        ["Description", "sandfleet sandbox service (HTTPS API on 443)"],
        ["Documentation", "https://github.com/sandfleet/sandfleet/blob/main/docs/service-host.md"],
        ["After", `network-online.target ${SERVICE_REGISTRY_UNIT}`],
        ["Wants", "network-online.target"],
        // Its state is on the data volume: never start on the root disk underneath an unmounted volume.
        ["RequiresMountsFor", dataDir],
        // Started once the stack has delivered the registry; the install step enables it only then.
        ["ConditionPathExists", DELIVERED_REGISTRY_PATH],
        ["StartLimitIntervalSec", "300"],
        ["StartLimitBurst", "10"],
      ],
    ],
    [
      "Service",
      [
        ["Type", "exec"],
        ["User", SERVICE_USER],
        ["Group", SERVICE_USER],
        // `+`: as root, to copy the root-only registry into the data directory for the service user.
        ["ExecStartPre", `+/bin/sh ${SERVICE_INSTALL_ROOT}/copy-registry.sh`],
        ["ExecStart", `${nodeBinary(config.nodeVersion)} ${SERVICE_INSTALL_ROOT}/current/${SERVICE_ENTRY_FILE} --config ${SERVICE_CONFIG_PATH}`],
        // The service re-reads the registry on SIGHUP (it also watches the file).
        ["ExecReload", "/bin/kill -HUP $MAINPID"],
        // SIGTERM closes gracefully: leased sandboxes are kept for the next start (their leases are in the database).
        ["KillSignal", "SIGTERM"],
        ["TimeoutStopSec", "30"],
        ["Restart", "on-failure"],
        ["RestartSec", "2"],
        ["Environment", "NODE_ENV=production"],
        // 443 without root: only this capability, nothing else.
        ["AmbientCapabilities", "CAP_NET_BIND_SERVICE"],
        ["CapabilityBoundingSet", "CAP_NET_BIND_SERVICE"],
        ["NoNewPrivileges", "yes"],
        ["ProtectSystem", "strict"],
        ["ProtectHome", "yes"],
        ["PrivateTmp", "yes"],
        ["PrivateDevices", "yes"],
        ["ProtectKernelTunables", "yes"],
        ["ProtectKernelModules", "yes"],
        ["ProtectControlGroups", "yes"],
        ["RestrictSUIDSGID", "yes"],
        ["LockPersonality", "yes"],
        // AF_NETLINK: listing interfaces (fastify names the addresses it listens on when bound to 0.0.0.0).
        ["RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX AF_NETLINK"],
        ["ReadWritePaths", dataDir],
        ["UMask", "0077"],
        ["LimitNOFILE", "65536"],
      ],
    ],
    ["Install", [["WantedBy", "multi-user.target"]]],
  ]);
}

/** `sandfleet-service-registry.service`: copies the delivered registry for the service user and reloads it. */
export function registryCopyUnit(): string {
  return renderServiceUnit("Copies the delivered registry for the service user, then reloads the service.", [
    [
      "Unit",
      [
        ["Description", "sandfleet sandbox service: take up a new endpoint registry"],
        ["ConditionPathExists", DELIVERED_REGISTRY_PATH],
      ],
    ],
    [
      "Service",
      [
        ["Type", "oneshot"],
        ["ExecStart", `/bin/sh ${SERVICE_INSTALL_ROOT}/copy-registry.sh`],
        // Not running yet (first delivery): nothing to reload; the start copies the registry itself.
        ["ExecStart", `/bin/systemctl try-reload-or-restart --no-block ${SERVICE_UNIT}`],
      ],
    ],
  ]);
}

/** `sandfleet-service-registry.path`: every change of the delivered registry starts the copy unit. */
export function registryPathUnit(): string {
  return renderServiceUnit("A new registry from `pulumi up` reaches the running service without a restart.", [
    ["Unit", [["Description", "sandfleet sandbox service: watch the endpoint registry"]]],
    // PathChanged fires when a writer closes the file or renames a new one into place (the delivery renames).
    ["Path", [["PathChanged", DELIVERED_REGISTRY_PATH], ["Unit", SERVICE_REGISTRY_UNIT]]],
    ["Install", [["WantedBy", "paths.target"]]],
  ]);
}

/** The copy itself: atomic (temporary file + rename), readable by the service user only. */
export function copyRegistryScript(config: Pick<ServiceHostConfig, "dataVolumeMount">): string {
  const target = serviceRegistryCopy(config.dataVolumeMount);
  return [
    "#!/bin/sh",
    "# Written by sandfleet (cloud-init/service-host.ts): the service user's copy of the root-only registry.",
    "set -eu",
    `install -d -m 0700 -o ${SERVICE_USER} -g ${SERVICE_USER} ${serviceDataDir(config.dataVolumeMount)}`,
    `install -m 0400 -o ${SERVICE_USER} -g ${SERVICE_USER} ${DELIVERED_REGISTRY_PATH} ${target}.tmp`,
    `mv -f ${target}.tmp ${target}`,
    "",
  ].join("\n");
}

/** One file the install script writes: absolute path, mode, owner:group, content. */
export interface ServiceHostFile {
  path: string;
  mode: "0400" | "0440" | "0444" | "0600" | "0640" | "0644" | "0755";
  owner: `root:${"root" | typeof SERVICE_USER}`;
  content: string;
}

/** Every file the service needs besides Node and the bundle, with its owner and mode. */
export function serviceHostFiles(config: ServiceHostConfig): ServiceHostFile[] {
  validateServiceHostConfig(config);
  const group = `root:${SERVICE_USER}` as const;
  return [
    { path: `/etc/systemd/system/${SERVICE_UNIT}`, mode: "0644", owner: "root:root", content: serviceUnit(config) },
    { path: `/etc/systemd/system/${SERVICE_REGISTRY_UNIT}`, mode: "0644", owner: "root:root", content: registryCopyUnit() },
    { path: `/etc/systemd/system/${SERVICE_REGISTRY_PATH_UNIT}`, mode: "0644", owner: "root:root", content: registryPathUnit() },
    { path: `${SERVICE_INSTALL_ROOT}/copy-registry.sh`, mode: "0755", owner: "root:root", content: copyRegistryScript(config) },
    { path: SERVICE_CONFIG_PATH, mode: "0640", owner: group, content: serviceConfigJson(config) },
    ...serviceTlsPairs(config).flatMap((pair): ServiceHostFile[] => [
      { path: pair.certFile, mode: "0444", owner: "root:root", content: pair.certPem.trim() + "\n" },
      { path: pair.keyFile, mode: "0440", owner: group, content: pair.keyPem.trim() + "\n" },
    ]),
  ];
}

/**
 * The install script's stdin: one line per file, `sandfleet-file <path> <mode> <owner> <base64 content>`.
 * Base64 keeps every file one line whatever it holds, so the script reads them with `read` alone.
 * Secret (it holds the TLS key).
 */
export function serviceHostFileSet(config: ServiceHostConfig): string {
  return serviceHostFiles(config)
    .map((f) => `sandfleet-file ${f.path} ${f.mode} ${f.owner} ${Buffer.from(f.content, "utf8").toString("base64")}\n`)
    .join("");
}

/** The command line of the install step. No secret: the file set goes to stdin. */
export function serviceInstallCommand(config: Pick<ServiceHostConfig, "nodeVersion" | "nodeIntegrity" | "nodeArch" | "bundleDigest" | "dataVolumeMount">, sudo: boolean): string {
  const argv = [
    "bash",
    SERVICE_INSTALL_SCRIPT_REMOTE_PATH,
    "--node-tarball", NODE_TARBALL_REMOTE_PATH,
    "--node-version", config.nodeVersion,
    "--node-integrity", config.nodeIntegrity,
    "--node-arch", config.nodeArch,
    "--bundle", SERVICE_BUNDLE_REMOTE_PATH,
    "--bundle-digest", config.bundleDigest,
    "--data-dir", serviceDataDir(config.dataVolumeMount),
  ];
  return shellJoin(sudo ? ["sudo", "-n", ...argv] : argv);
}

/** The install script's success report (its last line), or undefined when it did not print one. */
export function parseServiceInstallReport(stdout: string | undefined): { ok: true; [key: string]: unknown } | undefined {
  const line = (stdout ?? "")
    .split(/\r?\n/)
    .reverse()
    .find((l) => l.startsWith(`${SERVICE_INSTALL_OK_MARKER} `));
  if (!line) return undefined;
  return { ...(JSON.parse(line.slice(SERVICE_INSTALL_OK_MARKER.length + 1)) as object), ok: true };
}

/** Checks what is interpolated into unit files and the command line; names the field and the fix. */
export function validateServiceHostConfig(config: ServiceHostConfig): void {
  const fail = (field: string, message: string): never => {
    throw new CloudConfigInputError(`service.${field}`, message);
  };
  if (!/^\d+\.\d+\.\d+$/.test(config.nodeVersion)) fail("nodeVersion", `"${config.nodeVersion}" must be a Node version such as 24.22.3.`);
  if (!/^sha512-[A-Za-z0-9+/]{86}==$/.test(config.nodeIntegrity)) fail("nodeIntegrity", "must be npm's sha512 integrity of the Node tarball (sha512-<base64>).");
  if (config.nodeArch !== "x64" && config.nodeArch !== "arm64") fail("nodeArch", `"${String(config.nodeArch)}" is not one of x64, arm64.`);
  if (!/^[0-9a-f]{64}$/.test(config.bundleDigest)) fail("bundleDigest", "must be the SHA-256 (hex) of the service bundle.");
  if (!/^[0-9a-f]{64}$/.test(config.initialApiKeySha256)) fail("initialApiKeySha256", "must be the SHA-256 (hex) of the initial API key, never the key.");
  if (!/^\/[A-Za-z0-9._/-]+$/.test(config.dataVolumeMount) || config.dataVolumeMount.includes("..")) {
    fail("dataVolumeMount", `"${config.dataVolumeMount}" must be an absolute path without spaces or "..".`);
  }
  if (!config.tls.certPem.includes("-----BEGIN CERTIFICATE-----")) fail("tls.certPem", "must be a PEM certificate.");
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(config.tls.keyPem)) fail("tls.keyPem", "must be a PEM private key.");
  const names = new Set<string>();
  (config.tlsByServerName ?? []).forEach((pair, i) => {
    // Interpolated into file paths: a DNS name, lower case, nothing else (the service's config schema says the same).
    if (!/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/.test(pair.serverName)) {
      fail(`tlsByServerName.${i}.serverName`, `"${pair.serverName}" must be a lower-case DNS name such as sandbox.example.com.`);
    }
    if (names.has(pair.serverName)) fail(`tlsByServerName.${i}.serverName`, `"${pair.serverName}" appears twice; give each name one certificate.`);
    names.add(pair.serverName);
    if (!pair.certPem.includes("-----BEGIN CERTIFICATE-----")) fail(`tlsByServerName.${i}.certPem`, "must be a PEM certificate.");
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pair.keyPem)) fail(`tlsByServerName.${i}.keyPem`, "must be a PEM private key.");
  });
}
