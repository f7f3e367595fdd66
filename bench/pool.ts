/**
 * `npm run bench:pool`: what a warm sandfleet pool saves over creating a container per request, side by side in
 * one run, against one real dockerd started here (mTLS on loopback, like a workspace server), under runc and
 * under gVisor (runsc).
 *
 *   on demand: create + start + `docker exec` + remove per request (what the usual container libraries do)
 *   sandfleet: pool.acquire() + sandbox.exec() (persistent shell channel) + release(), with a warm pool
 *
 * Per mode: p50/p99 of "acquire" (on demand: create + start), of "first exec" (request start until the
 * first command's output is back) and throughput at concurrency 8 (full request cycles per second, release
 * included; single-use sandboxes mean the pool's throughput is bounded by how fast the host replaces them).
 * Ends with one JSON line. Needs root, dockerd and runsc (as the engine tests).
 */
import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { EndpointClient } from "../runtime/docker/endpoint-client";
import { createPool } from "../runtime/index";
import { sandboxContainerOptions } from "../runtime/sandbox/container-spec";
import { dockerExec } from "../runtime/sandbox/docker-exec";
import { parseSandboxProfile } from "../runtime/sandbox/profile";
import { dockerdSupport, sleep, startTestDaemon, testRegistry } from "../test/support/dockerd";
import { ensureBusyboxImage } from "../test/support/images";
import { percentile } from "./percentile";

type Runtime = "runc" | "runsc";

const SEQUENTIAL = Number(process.env.BENCH_SEQUENTIAL ?? 30);
const CONCURRENT_REQUESTS = Number(process.env.BENCH_CONCURRENT_REQUESTS ?? 32);
const CONCURRENCY = 8;
const MIN_IDLE = 8;
const COMMAND = ["echo", "hello"];

/** Latency of one event-loop turn, sampled next to every pool request (CPU contention on the host shows here). */
const loopTurns: number[] = [];
async function sampleLoopTurn(): Promise<void> {
  const started = performance.now();
  await new Promise((resolve) => setImmediate(resolve));
  loopTurns.push(performance.now() - started);
}

interface ModeResult {
  acquire: number[];
  firstExec: number[];
  throughputPerSec: number;
}

const log = (text: string) => process.stderr.write(`${text}\n`);

async function onDemand(client: EndpointClient, image: string, runtime: Runtime): Promise<ModeResult> {
  // runc keeps the tmpfs mode of the image's directories (0755 in the test image), so run as root there; under
  // runsc the pool's default user (nobody) works.
  const profile = parseSandboxProfile({ image, runtime, ...(runtime === "runc" ? { user: "0:0" } : {}) });
  const once = async () => {
    const started = performance.now();
    const spec = { ...sandboxContainerOptions(profile, { "dev.sandfleet.bench": "on-demand" }, `sf-bench-${randomBytes(4).toString("hex")}`, { imageCommand: true }), Cmd: ["sleep", "3600"] };
    const container = await client.call("create", (docker) => docker.createContainer(spec));
    try {
      await client.call("start", () => container.start());
      const acquired = performance.now();
      const result = await dockerExec(client, container.id, { argv: COMMAND, maxOutputBytes: 1 << 20 });
      if (result.stdout.toString() !== "hello\n") throw new Error(`unexpected output ${JSON.stringify(result.stdout.toString())}`);
      return { acquire: acquired - started, firstExec: performance.now() - started };
    } finally {
      await client.removeContainer(container.id);
    }
  };
  const acquire: number[] = [];
  const firstExec: number[] = [];
  for (let i = 0; i < Math.min(SEQUENTIAL, 20); i++) {
    const r = await once();
    acquire.push(r.acquire);
    firstExec.push(r.firstExec);
  }
  const throughputPerSec = await throughput(once);
  return { acquire, firstExec, throughputPerSec };
}

async function withPool(registry: ReturnType<typeof testRegistry>, image: string, runtime: Runtime): Promise<ModeResult> {
  const pool = await createPool({
    registry,
    poolId: `bench-${runtime}`,
    profiles: { default: { image, runtime, ...(runtime === "runc" ? { user: "0:0" } : {}) } },
    minIdle: MIN_IDLE,
    maxTotal: MIN_IDLE + CONCURRENCY + 2,
    acquireTimeoutMs: 60_000,
    healthIntervalMs: 5_000,
    // Like for like with on demand, which also runs 8 creates at once in the throughput phase.
    maxConcurrentCreatesPerEndpoint: CONCURRENCY,
  });
  try {
    // Warm = the pool is at minIdle and nothing is being created (a quiet host, as between bursts).
    const warm = async () => {
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        const s = pool.status();
        if (s.idle >= MIN_IDLE && s.creating === 0) return;
        await sleep(20);
      }
      throw new Error(`the pool did not warm up to ${MIN_IDLE} idle sandboxes within 60 s: ${JSON.stringify(pool.status())}`);
    };
    const once = async () => {
      const started = performance.now();
      const sandbox = await pool.acquire();
      const acquired = performance.now();
      const result = await sandbox.exec(COMMAND);
      const firstExec = performance.now() - started;
      if (result.stdout !== "hello\n") throw new Error(`unexpected output ${JSON.stringify(result.stdout)}`);
      await sandbox.release();
      return { acquire: acquired - started, firstExec };
    };
    const acquire: number[] = [];
    const firstExec: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      // Let the refill catch up first, so each measured acquire finds a warm pool on a quiet host.
      await warm();
      await sampleLoopTurn();
      const r = await once();
      acquire.push(r.acquire);
      firstExec.push(r.firstExec);
    }
    await warm();
    const throughputPerSec = await throughput(once);
    return { acquire, firstExec, throughputPerSec };
  } finally {
    await pool.close();
  }
}

async function throughput(once: () => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < CONCURRENT_REQUESTS) {
        next++;
        await once();
      }
    }),
  );
  return CONCURRENT_REQUESTS / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const support = dockerdSupport();
  if (!support.ok) throw new Error(`bench:pool needs a local dockerd: ${support.reason}`);
  const benchStarted = Date.now();
  log("starting a TLS dockerd on loopback (runc + runsc)...");
  const daemon = await startTestDaemon({ name: "bench" });
  try {
    const image = ensureBusyboxImage(`unix://${daemon.socketPath}`);
    const registry = testRegistry([daemon], [{ maxContainers: 40 }]);
    const client = EndpointClient.remote(registry.endpoints[0]!, registry.tls);
    const results: Record<string, ModeResult> = {};
    for (const runtime of (process.env.BENCH_RUNTIMES ?? "runc,runsc").split(",") as Runtime[]) {
      log(`${runtime}: on demand (create + start + exec + remove)...`);
      results[`${runtime} on-demand`] = await onDemand(client, image, runtime);
      log(`${runtime}: sandfleet pool (acquire + exec + release)...`);
      results[`${runtime} sandfleet`] = await withPool(registry, image, runtime);
    }
    client.close();

    const f = (n: number) => (n < 10 ? n.toFixed(2) : n.toFixed(0));
    const header = "| runtime | mode | acquire p50 ms | acquire p99 ms | first exec p50 ms | first exec p99 ms | req/s at c=8 |";
    const rows = Object.entries(results).map(([name, r]) => {
      const [runtime, mode] = name.split(" ");
      return `| ${runtime} | ${mode} | ${f(percentile(r.acquire, 50))} | ${f(percentile(r.acquire, 99))} | ${f(percentile(r.firstExec, 50))} | ${f(percentile(r.firstExec, 99))} | ${r.throughputPerSec.toFixed(1)} |`;
    });
    process.stdout.write(`${[header, "|---|---|---|---|---|---|---|", ...rows].join("\n")}\n\n`);
    const gvisorPool = results["runsc sandfleet"]!;
    const gvisorOnDemand = results["runsc on-demand"]!;
    const runcPool = results["runc sandfleet"];
    const runcOnDemand = results["runc on-demand"];
    const summary = {
      acquireP99Ms: round(percentile(gvisorPool.acquire, 99)),
      acquireP50Ms: round(percentile(gvisorPool.acquire, 50)),
      firstExecP50Ms: round(percentile(gvisorPool.firstExec, 50)),
      firstExecP99Ms: round(percentile(gvisorPool.firstExec, 99)),
      onDemandFirstExecP50Ms: round(percentile(gvisorOnDemand.firstExec, 50)),
      speedup: round(percentile(gvisorOnDemand.firstExec, 50) / percentile(gvisorPool.firstExec, 50)),
      ...(runcPool && runcOnDemand ? { runcSpeedup: round(percentile(runcOnDemand.firstExec, 50) / percentile(runcPool.firstExec, 50)) } : {}),
      throughputPerSecC8: round(gvisorPool.throughputPerSec),
      onDemandThroughputPerSecC8: round(gvisorOnDemand.throughputPerSec),
      // How long one event-loop turn takes on this host during the run: the floor under every figure above.
      eventLoopTurnP50Ms: round(percentile(loopTurns, 50)),
      eventLoopTurnP99Ms: round(percentile(loopTurns, 99)),
      loadAverage1m: round(loadavg()[0]!),
      samples: SEQUENTIAL,
      durationS: Math.round((Date.now() - benchStarted) / 1000),
    };
    process.stdout.write(`${JSON.stringify(summary)}\n`);
  } finally {
    await daemon.stop();
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

main().catch((err) => {
  process.stderr.write(`bench:pool failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
