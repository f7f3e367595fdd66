/**
 * The sandbox service as a real process for tests: writes a registry file over the given test daemons, a TLS
 * certificate for 127.0.0.1 (the daemons' CA signs it, so one CA file trusts both), a config with a bootstrap
 * admin key (only its hash), and spawns `service/bin/sandfleet-service.js --config FILE` exactly as the platform's
 * systemd unit does. stop() sends SIGTERM and waits for exit 0; everything is under one temp directory it removes.
 */
import { ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { hashApiKey, API_KEY_PREFIX } from "../../service/db/api-keys";
import type { ServiceConfigInput } from "../../service/config";
import { testRegistry, TestDaemon } from "./dockerd";
import type { Endpoint, EndpointRegistry } from "../../runtime/registry/schema";
import type { LocalDockerTls } from "../../components/tls/local-issuer";

export const SERVICE_BIN = join(__dirname, "../../service/bin/sandfleet-service.js");

export interface ServiceProcess {
  url: string;
  /** The bootstrap admin key. */
  key: string;
  /** PEM of the CA that signed the service's certificate (and the daemons'). */
  ca: string;
  caFile: string;
  dir: string;
  configFile: string;
  registryFile: string;
  child: ChildProcess;
  /** What the process wrote to stderr so far. */
  log(): string;
  /** SIGTERM, wait for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Starts the process again on the same config, data and port (after stop()). */
  restart(): Promise<void>;
  /** Removes the temp directory (after stop()). */
  cleanup(): void;
  /** Where each `sniCertificates` pair was written (the config's `tls.byServerName`), by server name. */
  sniFiles: Record<string, { certFile: string; keyFile: string }>;
}

export interface ServiceProcessOptions {
  endpoints?: Partial<Endpoint>[];
  config?: Partial<ServiceConfigInput>;
  /** A registry of other endpoints than `daemons` (e.g. a local fleet's); daemons may then be []. */
  registry?: EndpointRegistry;
  /** The CA and server certificate (it must cover 127.0.0.1) when there are no test daemons to take them from. */
  serverTls?: { tls: LocalDockerTls; serverName: string };
  /** Certificates served only to their SNI name (config `tls.byServerName`), e.g. a stand-in for Cloudflare's Origin CA one. */
  sniCertificates?: { serverName: string; certPem: string; keyPem: string }[];
}

export async function startServiceProcess(daemons: TestDaemon[], options: ServiceProcessOptions = {}): Promise<ServiceProcess> {
  const dir = mkdtempSync(join(tmpdir(), "sf-svc-"));
  const tls = options.serverTls?.tls ?? daemons[0]!.tls;
  const server = tls.servers[options.serverTls?.serverName ?? "test-dockerd"]!;
  const files = { cert: join(dir, "service.crt"), key: join(dir, "service.key"), ca: join(dir, "ca.pem"), registry: join(dir, "registry.json"), config: join(dir, "service.json") };
  writeFileSync(files.cert, server.certPem);
  writeFileSync(files.key, server.keyPem, { mode: 0o600 });
  writeFileSync(files.ca, tls.ca.certPem);
  writeFileSync(files.registry, JSON.stringify(options.registry ?? testRegistry(daemons, options.endpoints ?? [])), { mode: 0o600 });
  const sniFiles: ServiceProcess["sniFiles"] = {};
  for (const pair of options.sniCertificates ?? []) {
    sniFiles[pair.serverName] = { certFile: join(dir, `${pair.serverName}.cert.pem`), keyFile: join(dir, `${pair.serverName}.key.pem`) };
    writeFileSync(sniFiles[pair.serverName]!.certFile, pair.certPem);
    writeFileSync(sniFiles[pair.serverName]!.keyFile, pair.keyPem, { mode: 0o600 });
  }
  const key = API_KEY_PREFIX + randomBytes(32).toString("base64url");
  const config: ServiceConfigInput = {
    listen: { host: "127.0.0.1", port: 0 },
    tls: {
      certFile: files.cert,
      keyFile: files.key,
      ...(options.sniCertificates ? { byServerName: Object.entries(sniFiles).map(([serverName, f]) => ({ serverName, ...f })) } : {}),
    },
    registryFile: files.registry,
    dataDir: join(dir, "data"),
    bootstrapKeys: [{ name: "test-admin", sha256: hashApiKey(key) }],
    ...options.config,
  };
  let port = 0;
  let child!: ChildProcess;
  let stderr = "";
  const launch = async () => {
    writeFileSync(files.config, JSON.stringify({ ...config, listen: { host: "127.0.0.1", port } }));
    child = spawn(process.execPath, [SERVICE_BIN, "--config", files.config], { stdio: ["ignore", "inherit", "pipe"], env: { ...process.env } });
    const from = stderr.length; // only this launch's lines
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`service did not start within 60 s:\n${stderr}`)), 60_000);
      child.stderr!.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        const m = /listening on (https:\/\/\S+)/.exec(stderr.slice(from));
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once("exit", (code) => {
        clearTimeout(timer);
        reject(new Error(`service exited with ${code} before listening:\n${stderr}`));
      });
    });
    port = Number(new URL(url).port);
    return url;
  };
  let url: string;
  try {
    url = await launch();
  } catch (err) {
    child?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  return {
    url,
    key,
    ca: tls.ca.certPem,
    caFile: files.ca,
    dir,
    configFile: files.config,
    registryFile: files.registry,
    get child() {
      return child;
    },
    log: () => stderr,
    stop,
    restart: async () => {
      await launch();
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
    sniFiles,
  };
}
