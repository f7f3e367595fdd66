/**
 * `npm run bench:plan`: runs the stack program under Pulumi mocks (no engine, no cloud) for fleets of
 * 1, 10, 100 and 500 workspace servers and reports, per size, the resources registered and the wall
 * time; the last line is one JSON object. Each size runs in its own process so module caches and the
 * mock recorder never carry over; provider modules are loaded before the clock starts.
 *
 * Then, per stack file (shipped and README ones), the real-path load time: `pulumi preview`'s program run as
 * the Node language host starts it (cmd/run, ts-node type-checking, cold compile cache) against the
 * recording engine of test/real-path, one stack at a time. This is the wait before the first resource
 * registers on a fresh clone; the CLI's own engine work comes on top.
 *
 *   npm run bench:plan                 # all sizes
 *   npx tsx bench/plan.ts --size 100   # one size (prints one JSON line)
 */
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { runOnLanguageHostPath } from "../test/real-path/support/language-host";
import { allStackFiles } from "../test/real-path/support/stack-files";

const SIZES = [1, 10, 100, 500];
/** Servers per pool: below the address plan's 240 per /24 block. */
const POOL_SIZE = 200;

interface SizeResult {
  workspaceServers: number;
  resources: number;
  endpoints: number;
  /** From importing the program to the last resource registered. */
  wallMs: number;
  /** CPU time of the same span (user + system): steadier than wall time on a shared machine. */
  cpuMs: number;
}

function stackConfig(servers: number): Record<string, unknown> {
  const pools: Record<string, unknown> = {};
  for (let i = 0, left = servers; left > 0; i++, left -= POOL_SIZE) {
    pools[`pool${i + 1}`] = { count: Math.min(POOL_SIZE, left), serverType: "cx33", maxContainers: 10, volumeGb: 20, addressBlock: i + 1 };
  }
  return {
    "hcloud:token": "bench",
    "sandfleet:provider": "hetzner",
    "sandfleet:location": "fsn1",
    "sandfleet:adminCidrs": ["198.51.100.0/24"],
    "sandfleet:platform": { serverType: "cx23", volumeGb: 10, floatingIp: true },
    "sandfleet:pools": pools,
  };
}

interface RealPathResult {
  stack: string;
  source: string;
  resources: number;
  /** Process start to exit of cmd/run in preview mode, cold ts-node cache, type-check on. */
  loadMs: number;
  /** CPU time of that process (user + system). */
  cpuMs?: number;
}

async function realPathLoadTimes(): Promise<RealPathResult[]> {
  const results: RealPathResult[] = [];
  console.log(`${"stack file (cold cache, type-checked)".padEnd(36)} | resources | load time | cpu time`);
  for (const file of allStackFiles()) {
    const run = await runOnLanguageHostPath(file, { dryRun: true });
    if (run.exitCode !== 0) throw new Error(`${file.source}: cmd/run exited ${run.exitCode}:\n${run.engine.errors().join("\n")}\n${run.stderr}`);
    const result = { stack: file.stack, source: file.source, resources: run.engine.resources.length, loadMs: run.wallMs, cpuMs: run.cpuMs };
    results.push(result);
    const cpu = result.cpuMs === undefined ? "?" : (result.cpuMs / 1000).toFixed(1);
    console.log(`${file.source.padEnd(36)} | ${String(result.resources).padStart(9)} | ${(result.loadMs / 1000).toFixed(1).padStart(7)} s | ${cpu.padStart(6)} s`);
  }
  return results;
}

async function runOne(servers: number): Promise<SizeResult> {
  const { installPulumiMocks, valueOf } = await import("../test/support/pulumi-mocks");
  // Warm the module cache so the clock measures planning, not loading provider SDKs.
  await import("../components/hetzner");
  await import("../components/fleet");
  const mocks = installPulumiMocks({ stack: "bench", config: stackConfig(servers) });
  const started = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  let cpuAtLastChange = cpuStart;
  const program = await import("../stacks/index");
  const registry = await valueOf(program.endpointRegistry);
  let last = -1;
  let lastChange = process.hrtime.bigint();
  for (let quiet = 0; quiet < 5; ) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (mocks.resources.length === last) quiet++;
    else {
      quiet = 0;
      last = mocks.resources.length;
      lastChange = process.hrtime.bigint();
      cpuAtLastChange = process.cpuUsage();
    }
  }
  return {
    workspaceServers: servers,
    resources: mocks.resources.length,
    endpoints: registry.endpoints.length,
    wallMs: Math.round(Number(lastChange - started) / 1e6),
    cpuMs: Math.round((cpuAtLastChange.user - cpuStart.user + cpuAtLastChange.system - cpuStart.system) / 1000),
  };
}

async function main(): Promise<void> {
  const sizeFlag = process.argv.indexOf("--size");
  if (sizeFlag >= 0) {
    const result = await runOne(Number(process.argv[sizeFlag + 1]));
    process.stdout.write(JSON.stringify(result) + "\n");
    process.exit(0);
  }
  const results: SizeResult[] = [];
  console.log("workspace servers | resources | endpoints | wall time | cpu time");
  for (const size of SIZES) {
    const out = execFileSync(process.execPath, [...process.execArgv, join(__dirname, "plan.ts"), "--size", String(size)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
      maxBuffer: 64 * 1024 * 1024,
    });
    const result = JSON.parse(out.trim().split("\n").pop()!) as SizeResult;
    if (result.endpoints !== size) throw new Error(`size ${size}: the registry lists ${result.endpoints} endpoints`);
    results.push(result);
    console.log(`${String(size).padStart(17)} | ${String(result.resources).padStart(9)} | ${String(result.endpoints).padStart(9)} | ${(result.wallMs / 1000).toFixed(2).padStart(7)} s | ${(result.cpuMs / 1000).toFixed(2).padStart(6)} s`);
  }
  const perServer = results.map((r) => r.resources / r.workspaceServers);
  const realPath = await realPathLoadTimes();
  console.log(JSON.stringify({ bench: "plan", node: process.version, results, resourcesPerServerAt500: perServer[perServer.length - 1], realPath }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
