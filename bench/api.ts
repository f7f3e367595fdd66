/**
 * `npm run bench:api`: what the sandbox service costs over calling the pool in-process, side by side in one run
 * against the same real dockerd (mTLS on loopback, gVisor sandboxes):
 *
 *   in-process: pool.acquire() + sandbox.exec() + sandbox.release() (a library pool in this process)
 *   service:    POST /v1/sandboxes + POST .../exec + DELETE, over HTTPS on loopback with the typed client, to the
 *               `sandfleet-service` process (its own pool, same endpoint, same profile)
 *   service in this process: the same requests to startService() running in the bench's own process: HTTP, TLS,
 *               auth, database and audit without the hop to a second process (on a busy machine that hop, the
 *               scheduling of another process, is most of the difference)
 *
 * Per mode: acquire + exec and the full cycle (release included) sequentially (p50/p99, each on a warm pool), and
 * cycles per second at concurrency 8; for the service also the time to the first chunk of a streamed exec. Ends
 * with one JSON line: apiOverheadP50Ms (service minus in-process acquire + exec, p50), cycleP50Ms (the service's
 * sequential cycle), firstChunkMs, and the rest. Needs root, dockerd and runsc (as the engine tests).
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { createPool, Pool, SandboxApiClient } from "../runtime/index";
import { dockerdSupport, sleep, startTestDaemon, testRegistry } from "../test/support/dockerd";
import { ensureBusyboxImage } from "../test/support/images";
import { startServiceProcess } from "../test/support/service";
import { startService } from "../service/main";
import { percentile } from "./percentile";

const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 30);
const CONCURRENT_CYCLES = Number(process.env.BENCH_CONCURRENT_REQUESTS ?? 32);
const CONCURRENCY = 8;
const MIN_IDLE = 8;
const COMMAND = ["echo", "hello"];
const WORKSPACE_CREATES = Number(process.env.BENCH_WORKSPACE_CREATES ?? 10);
/**
 * Targets for workspaces (docs/workspaces.md): a stopped workspace answers its first command within 1.5 s at p50
 * (a gVisor create + start + shell channel is ~0.5 s on an idle machine, plus the HTTPS call and the removal of the
 * old container), and a create (volume + ownership + start) within 3 s.
 */
const TARGETS = { workspaceStartP50Ms: 1_500, workspaceCreateP50Ms: 3_000 };
const log = (text: string) => process.stderr.write(`${text}\n`);

interface Cycle {
  acquireExec: number;
  cycle: number;
}
interface ModeResult {
  acquireExec: number[];
  cycle: number[];
  cyclesPerSecC8: number;
}

const round = (n: number) => Math.round(n * 100) / 100;

async function measure(once: () => Promise<Cycle>, warm: () => Promise<void>): Promise<ModeResult> {
  const acquireExec: number[] = [];
  const cycle: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    await warm(); // each measured cycle finds a warm pool on a quiet host
    const r = await once();
    acquireExec.push(r.acquireExec);
    cycle.push(r.cycle);
  }
  await warm();
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CONCURRENT_CYCLES) {
        next++;
        await once();
      }
    }),
  );
  return { acquireExec, cycle, cyclesPerSecC8: CONCURRENT_CYCLES / ((performance.now() - started) / 1000) };
}

async function warmPool(idle: () => Promise<{ idle: number; creating: number }>): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const s = await idle();
    if (s.idle >= MIN_IDLE && s.creating === 0) return;
    await sleep(20);
  }
  throw new Error(`the pool did not warm up to ${MIN_IDLE} idle sandboxes within 60 s`);
}

function check(stdout: string): void {
  if (stdout !== "hello\n") throw new Error(`unexpected output ${JSON.stringify(stdout)}`);
}

async function main(): Promise<void> {
  const support = dockerdSupport();
  if (!support.ok) throw new Error(`bench:api needs a local dockerd: ${support.reason}`);
  const benchStarted = Date.now();
  log("starting a TLS dockerd on loopback...");
  const daemon = await startTestDaemon({ name: "bapi" });
  try {
    const image = ensureBusyboxImage(`unix://${daemon.socketPath}`);
    const endpoints = [{ maxContainers: 40 }];
    const poolOptions = { profiles: { default: { image, runtime: "runsc" as const } }, minIdle: MIN_IDLE, maxTotal: MIN_IDLE + CONCURRENCY + 2, acquireTimeoutMs: 60_000, healthIntervalMs: 5_000, maxConcurrentCreatesPerEndpoint: CONCURRENCY };

    log("in-process pool: acquire + exec + release...");
    const pool: Pool = await createPool({ registry: testRegistry([daemon], endpoints), poolId: "bench-inproc", ...poolOptions });
    let inProcess: ModeResult;
    try {
      inProcess = await measure(
        async () => {
          const t0 = performance.now();
          const sandbox = await pool.acquire();
          check((await sandbox.exec(COMMAND)).stdout);
          const t1 = performance.now();
          await sandbox.release();
          return { acquireExec: t1 - t0, cycle: performance.now() - t0 };
        },
        () => warmPool(async () => pool.status()),
      );
    } finally {
      await pool.close();
    }

    log("service over loopback HTTPS: POST sandboxes + POST exec + DELETE...");
    const service = await startServiceProcess([daemon], { endpoints, config: { pool: { poolId: "bench-service", ...poolOptions }, defaultLimits: { requestsPerSecond: 10_000, concurrentSandboxes: 100 } } });
    // The in-process run below reuses its TLS files and registry, with a database of its own.
    const innerDir = mkdtempSync(join(tmpdir(), "sf-bench-api-"));
    const configFile = join(innerDir, "service.json");
    for (const [from, to] of [[join(service.dir, "service.crt"), "c.pem"], [join(service.dir, "service.key"), "k.pem"], [service.registryFile, "registry.json"]] as const) copyFileSync(from, join(innerDir, to));
    const tlsFiles = { certFile: join(innerDir, "c.pem"), keyFile: join(innerDir, "k.pem") };
    writeFileSync(configFile, JSON.stringify({ ...JSON.parse(readFileSync(service.configFile, "utf8")), dataDir: join(innerDir, "data"), tls: tlsFiles, registryFile: join(innerDir, "registry.json") }));
    const caPem = service.ca;
    const api = new SandboxApiClient({ url: service.url, key: service.key, ca: service.ca });
    let viaService: ModeResult;
    const firstChunk: number[] = [];
    const workspaceCreate: number[] = [];
    const workspaceStart: number[] = [];
    try {
      const status = async () => (await api.status()).pool as { idle: number; creating: number };
      viaService = await measure(
        async () => {
          const t0 = performance.now();
          const sandbox = await api.createSandbox();
          check((await api.exec(sandbox.id, { argv: COMMAND })).stdout);
          const t1 = performance.now();
          await api.releaseSandbox(sandbox.id);
          return { acquireExec: t1 - t0, cycle: performance.now() - t0 };
        },
        () => warmPool(status),
      );
      await warmPool(status);
      const sandbox = await api.createSandbox();
      for (let i = 0; i < 10; i++) {
        const t0 = performance.now();
        for await (const event of api.execStream(sandbox.id, { argv: ["sh", "-c", "echo first; sleep 0.3; echo last"] })) {
          if (event.type === "stdout" && firstChunk.length === i) firstChunk.push(performance.now() - t0);
        }
      }
      await api.releaseSandbox(sandbox.id);

      log("service: workspace create, then stop + first exec output (start from stopped)...");
      for (let i = 0; i < WORKSPACE_CREATES; i++) {
        const t0 = performance.now();
        await api.createWorkspace({ name: `bench-${i}` });
        workspaceCreate.push(performance.now() - t0);
      }
      for (let i = 0; i < SEQUENTIAL; i++) {
        await api.stopWorkspace("bench-0");
        const t0 = performance.now();
        check((await api.workspaceExec("bench-0", { argv: COMMAND })).stdout);
        workspaceStart.push(performance.now() - t0);
      }
      for (let i = 0; i < WORKSPACE_CREATES; i++) await api.deleteWorkspace(`bench-${i}`);
    } finally {
      api.close();
      await service.stop();
      service.cleanup();
    }

    log("service in this process (startService): the same requests...");
    const inner = await startService({ ...JSON.parse(readFileSync(configFile, "utf8")), listen: { host: "127.0.0.1", port: 0 }, pool: { poolId: "bench-service-inner", ...poolOptions } });
    let viaInnerService: ModeResult;
    try {
      const { key } = inner.keys.create("bench", { concurrentSandboxes: 100, maxLeaseMs: 600_000, requestsPerSecond: 10_000 });
      const innerApi = new SandboxApiClient({ url: inner.url, key, ca: caPem });
      try {
        viaInnerService = await measure(
          async () => {
            const t0 = performance.now();
            const sandbox = await innerApi.createSandbox();
            check((await innerApi.exec(sandbox.id, { argv: COMMAND })).stdout);
            const t1 = performance.now();
            await innerApi.releaseSandbox(sandbox.id);
            return { acquireExec: t1 - t0, cycle: performance.now() - t0 };
          },
          () => warmPool(async () => inner.pool.status()),
        );
      } finally {
        innerApi.close();
      }
    } finally {
      await inner.close();
      rmSync(innerDir, { recursive: true, force: true });
    }

    const f = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(0));
    const rows = [
      ["in-process pool", inProcess],
      ["service process", viaService],
      ["service in this process", viaInnerService],
    ].map(([name, r]) => {
      const m = r as ModeResult;
      return `| ${name} | ${f(percentile(m.acquireExec, 50))} | ${f(percentile(m.acquireExec, 99))} | ${f(percentile(m.cycle, 50))} | ${f(percentile(m.cycle, 99))} | ${m.cyclesPerSecC8.toFixed(1)} |`;
    });
    process.stdout.write(
      `| service: sandbox acquire+exec p50/p99 ms | workspace start (stopped -> first exec output) p50/p99 ms | workspace create p50 ms |\n|---|---|---|\n` +
        `| ${f(percentile(viaService.acquireExec, 50))} / ${f(percentile(viaService.acquireExec, 99))} | ${f(percentile(workspaceStart, 50))} / ${f(percentile(workspaceStart, 99))} | ${f(percentile(workspaceCreate, 50))} |\n\n`,
    );
    process.stdout.write(
      `${["| mode | acquire+exec p50 ms | acquire+exec p99 ms | cycle p50 ms | cycle p99 ms | cycles/s at c=8 |", "|---|---|---|---|---|---|", ...rows].join("\n")}\n\n`,
    );
    const summary = {
      apiOverheadP50Ms: round(percentile(viaService.acquireExec, 50) - percentile(inProcess.acquireExec, 50)),
      cycleP50Ms: round(percentile(viaService.cycle, 50)),
      cycleP99Ms: round(percentile(viaService.cycle, 99)),
      firstChunkMs: round(percentile(firstChunk, 50)),
      serviceAcquireExecP50Ms: round(percentile(viaService.acquireExec, 50)),
      serviceAcquireExecP99Ms: round(percentile(viaService.acquireExec, 99)),
      inProcessAcquireExecP50Ms: round(percentile(inProcess.acquireExec, 50)),
      inProcessAcquireExecP99Ms: round(percentile(inProcess.acquireExec, 99)),
      inProcessCycleP50Ms: round(percentile(inProcess.cycle, 50)),
      // The service's own cost without a second process: HTTP, TLS, auth, database, audit.
      inProcessServiceOverheadP50Ms: round(percentile(viaInnerService.acquireExec, 50) - percentile(inProcess.acquireExec, 50)),
      inProcessServiceCycleP50Ms: round(percentile(viaInnerService.cycle, 50)),
      serviceCyclesPerSecC8: round(viaService.cyclesPerSecC8),
      inProcessCyclesPerSecC8: round(inProcess.cyclesPerSecC8),
      workspaceStartP50Ms: round(percentile(workspaceStart, 50)),
      workspaceStartP99Ms: round(percentile(workspaceStart, 99)),
      workspaceCreateP50Ms: round(percentile(workspaceCreate, 50)),
      workspaceTargetsMet: percentile(workspaceStart, 50) <= TARGETS.workspaceStartP50Ms && percentile(workspaceCreate, 50) <= TARGETS.workspaceCreateP50Ms,
      workspaceTargets: TARGETS,
      loadAverage1m: round(loadavg()[0]!),
      samples: SEQUENTIAL,
      durationS: Math.round((Date.now() - benchStarted) / 1000),
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    await daemon.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`bench:api failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
