/**
 * The sandbox service: `startService(config)` opens the database (dataDir/service.db), starts the runtime pool on
 * the registry file (watched: a changed file is applied to the running pool), builds the fastify app and serves
 * it over TLS only. `sandfleet-service --config FILE` (bin/sandfleet-service.js) is the process a systemd unit
 * runs; it calls this, reloads the registry on SIGHUP and closes gracefully on SIGTERM/SIGINT.
 *
 * Runs on Node 22.5+ (node:sqlite). Imports the runtime by relative path, so the repository's own version of the
 * runtime is the one served (no build step, no registry fetch on the platform).
 *
 * Restart rule: the pool id is stable (config pool.poolId, else the runtime's default for the stack), so a new
 * start removes every container the previous run's pool left (leased ones included) and marks their leases
 * `reclaimed`; API calls on them get 410. Nothing is orphaned; no lease survives a restart.
 */
import type { Server as TlsServer } from "node:tls";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { createPool, Pool, PoolOptions, readRegistryFile, RegistryUpdateResult, Workspaces } from "../runtime/index";
import { buildServiceApp } from "./app";
import { parseServiceConfig, ServiceConfig, ServiceConfigInput } from "./config";
import { ApiKeys } from "./db/api-keys";
import { AuditLog } from "./db/audit-log";
import { auditEgressDenials } from "./egress-denial-audit";
import { openServiceDatabase } from "./db/database";
import { SandboxLeases } from "./leases";
import { SqliteWorkspaceStore } from "./db/workspaces";
import { ServiceMetrics } from "./metrics";
import { ServiceTlsCertificates, TlsReloadResult } from "./tls-certificates";

export const SERVICE_VERSION: string = (require("./package.json") as { version: string }).version;

/**
 * The service's default for the pool's refillAfterHandOutMs: a client's first command arrives a round trip after
 * its sandbox was handed out, and a replacement sandbox started in between (a gVisor start is hundreds of ms of
 * CPU) slowed that command by 4-5 ms p50 on a 2-core machine. The warm pool is topped up 25 ms later instead,
 * sooner whenever an acquire has to wait. A pool config's own value wins.
 */
export const REFILL_AFTER_HAND_OUT_MS = 25;

export interface RunningService {
  /** `https://host:port` as listened on (port 0 in the config: the port chosen). */
  url: string;
  config: ServiceConfig;
  pool: Pool;
  keys: ApiKeys;
  audit: AuditLog;
  /** The fastify app (tests use app.inject()). */
  app: FastifyInstance;
  /** Re-reads the registry file and applies it (what SIGHUP does). */
  reloadRegistry(): Promise<RegistryUpdateResult>;
  /**
   * Re-reads the TLS certificate and key files, the default pair and every `tls.byServerName` pair (what SIGHUP
   * also does, after a renewed certificate was installed): new handshakes get the new certificates, open
   * connections and leases are untouched. When any pair does not load (unreadable, or key and certificate do not
   * match) it throws and every previous pair stays in use.
   */
  reloadTls(): TlsReloadResult;
  /** Stops accepting requests, ends every lease (destroying its sandbox), closes the pool and the database. */
  close(): Promise<void>;
}

export async function startService(input: ServiceConfig | ServiceConfigInput): Promise<RunningService> {
  const config = parseServiceConfig(input);
  const tls = new ServiceTlsCertificates(config.tls);
  const db = openServiceDatabase(config.dataDir);
  let pool: Pool | undefined;
  let workspaces: Workspaces | undefined;
  try {
    const keys = new ApiKeys(db);
    for (const k of config.bootstrapKeys) keys.ensureHash(k.name, k.sha256, config.defaultLimits, true);
    const poolOptions: PoolOptions = {
      refillAfterHandOutMs: REFILL_AFTER_HAND_OUT_MS,
      ...(config.pool as PoolOptions),
      registryFile: config.registryFile,
      watchRegistryFile: true,
      // Leases are the service's (per key, extendable); the pool itself never reclaims.
      maxLeaseMs: 0,
    };
    pool = await createPool(poolOptions);
    const leases = new SandboxLeases(pool, db);
    leases.reclaimLeftovers();
    const audit = new AuditLog(db);
    // Before the first lease, until the pool is closed (its last denial reads happen in close()).
    auditEgressDenials(pool, leases, audit);
    // Workspaces that were running when the service stopped come back stopped (their containers are removed by
    // the reconcile); the next request starts them. The reconcile's fixes go to the log.
    workspaces = new Workspaces(pool, { store: new SqliteWorkspaceStore(db), idleStopMs: config.workspaces.idleStopMs });
    const reconciled = await workspaces.start();
    for (const fix of reconciled.fixes) process.stderr.write(`sandfleet-service: workspace reconcile: ${fix.action} ${fix.workspaceId} on ${fix.endpointId}: ${fix.detail}\n`);
    for (const skip of reconciled.skipped) process.stderr.write(`sandfleet-service: workspace reconcile skipped ${skip.endpointId}: ${skip.error}\n`);
    const context = { config, version: SERVICE_VERSION, pool, db, keys, audit, leases, workspaces, metrics: new ServiceMetrics() };
    const app = await buildServiceApp(context, { https: tls.httpsOptions() });
    await app.listen({ host: config.listen.host, port: config.listen.port });
    const address = app.server.address() as AddressInfo;
    const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
    const running = pool;
    const runningWorkspaces = workspaces;
    let closing: Promise<void> | undefined;
    return {
      url: `https://${host}:${address.port}`,
      config,
      pool: running,
      keys,
      audit,
      app,
      reloadRegistry: async () => running.updateRegistry(await readRegistryFile(config.registryFile)),
      reloadTls: () => tls.reload(app.server as unknown as TlsServer),
      close: () =>
        (closing ??= (async () => {
          const stopped = app.close();
          await leases.closeAll();
          await stopped;
          await runningWorkspaces.close();
          await running.close();
          db.close();
        })()),
    };
  } catch (err) {
    await workspaces?.close();
    await pool?.close();
    db.close();
    throw err;
  }
}
