/**
 * `npm run bench:api-layers`: where the sandbox service's overhead over the in-process pool goes, one layer at a
 * time, on one in-process service (startService) against one real dockerd under gVisor:
 *
 *   pool:        pool.acquire() + sandbox.exec() + release() called directly (no HTTP)
 *   inject:      the same three API calls through fastify's app.inject(): routing, auth (key hash + SQLite lookup),
 *                zod validation, lease rows, audit writes, JSON, but no socket and no TLS
 *   https:       the same calls over HTTPS on loopback with the typed client (keep-alive agent): + TLS, socket, HTTP
 *   audit+auth:  GET /v1/sandboxes (auth, one SQLite query, one audit insert, no Docker) through inject, per call
 *
 * Target (issue 11): the service adds at most 2 ms p50 to acquire + exec. Ends with one JSON line.
 * Needs root, dockerd and runsc (as the engine tests).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { SandboxApiClient } from "../runtime/index";
import { startService } from "../service/main";
import { dockerdSupport, sleep, startTestDaemon, testRegistry } from "../test/support/dockerd";
import { ensureBusyboxImage } from "../test/support/images";
import { percentile } from "./percentile";

const SAMPLES = Number(process.env.BENCH_SEQUENTIAL ?? 30);
const MIN_IDLE = 4;
const COMMAND = ["echo", "hello"];
const TARGET_OVERHEAD_MS = 2;
const log = (text: string) => process.stderr.write(`${text}\n`);
const round = (n: number) => Math.round(n * 100) / 100;

async function main(): Promise<void> {
  const support = dockerdSupport();
  if (!support.ok) throw new Error(`bench:api-layers needs a local dockerd: ${support.reason}`);
  const daemon = await startTestDaemon({ name: "blay" });
  const dir = mkdtempSync(join(tmpdir(), "sf-bench-layers-"));
  try {
    const image = ensureBusyboxImage(`unix://${daemon.socketPath}`);
    const server = daemon.tls.servers["test-dockerd"]!;
    writeFileSync(join(dir, "c.pem"), server.certPem);
    writeFileSync(join(dir, "k.pem"), server.keyPem, { mode: 0o600 });
    writeFileSync(join(dir, "registry.json"), JSON.stringify(testRegistry([daemon], [{ maxContainers: 20 }])), { mode: 0o600 });
    const service = await startService({
      listen: { host: "127.0.0.1", port: 0 },
      tls: { certFile: join(dir, "c.pem"), keyFile: join(dir, "k.pem") },
      registryFile: join(dir, "registry.json"),
      dataDir: join(dir, "data"),
      pool: { poolId: "bench-layers", profiles: { default: { image, runtime: "runsc" } }, minIdle: MIN_IDLE, maxTotal: MIN_IDLE + 4 },
      defaultLimits: { requestsPerSecond: 10_000, concurrentSandboxes: 100 },
    });
    const { key } = service.keys.create("bench", { concurrentSandboxes: 100, maxLeaseMs: 600_000, requestsPerSecond: 10_000 });
    const client = new SandboxApiClient({ url: service.url, key, ca: daemon.tls.ca.certPem });
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const warm = async () => {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const s = service.pool.status();
        if (s.idle >= MIN_IDLE && s.creating === 0) return;
        await sleep(20);
      }
      throw new Error("the pool did not warm up");
    };
    const measure = async (name: string, once: () => Promise<void>): Promise<number[]> => {
      log(`${name}...`);
      const times: number[] = [];
      for (let i = 0; i < SAMPLES; i++) {
        await warm();
        const t0 = performance.now();
        await once();
        times.push(performance.now() - t0);
      }
      return times;
    };
    try {
      const pool = await measure("pool (direct)", async () => {
        const sandbox = await service.pool.acquire();
        await sandbox.exec(COMMAND);
        void sandbox.release();
      });
      const inject = await measure("inject (no socket, no TLS)", async () => {
        const created = await service.app.inject({ method: "POST", url: "/v1/sandboxes", headers, payload: "{}" });
        const id = created.json().id as string;
        await service.app.inject({ method: "POST", url: `/v1/sandboxes/${id}/exec`, headers, payload: JSON.stringify({ argv: COMMAND }) });
        await service.app.inject({ method: "DELETE", url: `/v1/sandboxes/${id}`, headers });
      });
      const https = await measure("https (typed client, keep-alive)", async () => {
        const sandbox = await client.createSandbox();
        await client.exec(sandbox.id, { argv: COMMAND });
        await client.releaseSandbox(sandbox.id);
      });
      log("auth + audit per call (GET /v1/sandboxes through inject)...");
      const perCall: number[] = [];
      for (let i = 0; i < 200; i++) {
        const t0 = performance.now();
        await service.app.inject({ method: "GET", url: "/v1/sandboxes", headers });
        perCall.push(performance.now() - t0);
      }
      const p50 = (xs: number[]) => percentile(xs, 50);
      process.stdout.write(
        [
          "| layer | cycle p50 ms | cycle p99 ms |",
          "|---|---|---|",
          ...([["pool, direct", pool], ["+ fastify, auth, zod, SQLite, audit (inject)", inject], ["+ TLS, socket, HTTP, client (https)", https]] as const).map(
            ([n, xs]) => `| ${n} | ${p50(xs).toFixed(2)} | ${percentile(xs, 99).toFixed(2)} |`,
          ),
          `| one authenticated, audited call without Docker (GET /v1/sandboxes, inject) | ${p50(perCall).toFixed(2)} | ${percentile(perCall, 99).toFixed(2)} |`,
          "",
        ].join("\n") + "\n",
      );
      const summary = {
        poolCycleP50Ms: round(p50(pool)),
        injectCycleP50Ms: round(p50(inject)),
        httpsCycleP50Ms: round(p50(https)),
        appLayerOverheadP50Ms: round(p50(inject) - p50(pool)),
        transportOverheadP50Ms: round(p50(https) - p50(inject)),
        serviceOverheadP50Ms: round(p50(https) - p50(pool)),
        authAuditCallP50Ms: round(p50(perCall)),
        targetOverheadP50Ms: TARGET_OVERHEAD_MS,
        targetMet: p50(https) - p50(pool) <= TARGET_OVERHEAD_MS,
        loadAverage1m: round(loadavg()[0]!),
        samples: SAMPLES,
      };
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    } finally {
      client.close();
      await service.close();
    }
  } finally {
    await daemon.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`bench:api-layers failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
