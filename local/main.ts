/**
 * `npm start` (= `tsx local/main.ts up`) and `npm run local:down` (= `tsx local/main.ts down`).
 *
 *   up   [--workspaces N] [--platforms N] [--fleet NAME] [--subnet CIDR]
 *        builds (once) the test-host image, boots the fleet, runs the post-boot TLS step, writes
 *        .sandfleet/<fleet>/registry.json, runs `sandfleet doctor` on it, acquires a sandbox through the
 *        pool and runs `uname -r` in it (4.4.0 = gVisor), then prints how long each phase took.
 *   down [--fleet NAME]
 *        removes every container, network, volume and file `up` created (the cached image stays;
 *        `docker image rm` it by hand, it is labelled dev.sandfleet.local=true).
 */
import { join } from "node:path";
import { runDoctor } from "./doctor";
import { downFleet, LocalFleet, PhaseTiming, upFleet } from "./fleet";
import { runFirstSandbox } from "./first-sandbox";
import { hostSummaryLine } from "./fleet-summary";
import { consoleProgress } from "./progress";
import { serviceCurlLines } from "./service";

interface Args {
  command: "up" | "down";
  flags: Record<string, string>;
}

function parseArgs(argv: string[]): Args {
  const [command, ...rest] = argv;
  if (command !== "up" && command !== "down") {
    throw new Error(`usage: tsx local/main.ts up [--workspaces N] [--platforms N] [--fleet NAME] [--subnet CIDR] | down [--fleet NAME]`);
  }
  const flags: Record<string, string> = {};
  for (let i = 0; i < rest.length; i++) {
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(rest[i]);
    if (!match) throw new Error(`unexpected argument ${rest[i]}`);
    flags[match[1]] = match[2] ?? rest[++i] ?? "";
  }
  return { command, flags };
}

const number = (value: string | undefined) => (value === undefined ? undefined : Number(value));

function printTimings(timings: PhaseTiming[]): void {
  const rows = timings.map((t) => [t.phase, `${(t.durationMs / 1000).toFixed(1)} s`, t.detail ?? ""]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length), ["phase", "time", "detail"][i].length));
  const line = (r: string[]) => `  ${r[0].padEnd(widths[0])}  ${r[1].padStart(widths[1])}  ${r[2]}`;
  console.log(line(["phase", "time", "detail"]));
  for (const r of rows) console.log(line(r));
}

async function up(flags: Record<string, string>): Promise<number> {
  const started = Date.now();
  const progress = consoleProgress(started);
  const fleet: LocalFleet = await upFleet({
    fleet: flags.fleet,
    workspaces: number(flags.workspaces),
    platforms: number(flags.platforms),
    subnet: flags.subnet,
    progress,
  });
  const timings = [...fleet.timings];
  const usableMs = Date.now() - started;

  const doctorStarted = Date.now();
  progress.info(`doctor: sandfleet doctor --registry ${fleet.registryPath}`);
  const doctor = await runDoctor(fleet.registryPath);
  console.log(doctor.output.replace(/^/gm, "    "));
  timings.push({ phase: "doctor", durationMs: Date.now() - doctorStarted, detail: `exit ${doctor.exitCode}` });

  progress.info("sandbox: acquiring one through the pool and running 'uname -r'");
  const sandboxStarted = Date.now();
  const sandbox = await runFirstSandbox(fleet.registry);
  timings.push({ phase: "first sandbox (pool acquire + exec)", durationMs: Date.now() - sandboxStarted, detail: `on ${sandbox.endpointId}` });
  const firstOutputMs = Date.now() - started;
  const gvisor = sandbox.stdout === "4.4.0";
  progress.info(`sandbox: ${sandbox.endpointId} '${sandbox.command.join(" ")}' -> ${sandbox.stdout} (exit ${sandbox.exitCode})${gvisor ? " = gVisor's kernel" : " (NOT gVisor!)"}`);

  console.log("");
  console.log(`Local fleet '${fleet.fleet}' is up (image base: ${fleet.image.base}; ${fleet.image.cached ? "image cached" : "image built"}).`);
  for (const host of fleet.hosts) console.log(hostSummaryLine(host));
  console.log(`  registry: ${fleet.registryPath}`);
  if (fleet.service) {
    console.log(`  service:  ${fleet.service.url}  (sandfleet-service.service on platform-1, Node ${String(fleet.service.report.node)})`);
    console.log(`  API key:  ${fleet.service.apiKey}  (also in ${fleet.service.apiKeyPath}; trust ${fleet.service.caPath})`);
    console.log("  run a command in a gVisor sandbox through the service (prints its exit code and stdout, 4.4.0):");
    for (const line of serviceCurlLines(fleet.service)) console.log(`    ${line}`);
  }
  console.log(`  ssh:      ssh -i ${join(fleet.stateDir, "deploy_key")} -p <ssh port> sandfleet@127.0.0.1`);
  console.log("");
  printTimings(timings);
  console.log(`\n  usable fleet (start -> registry written): ${(usableMs / 1000).toFixed(1)} s`);
  console.log(`  first sandbox output (start -> 'uname -r' printed): ${(firstOutputMs / 1000).toFixed(1)} s`);
  console.log("\nRemove it all with: npm run local:down");
  return gvisor && sandbox.exitCode === 0 && doctor.exitCode === 0 ? 0 : 1;
}

async function down(flags: Record<string, string>): Promise<number> {
  const removed = await downFleet({ fleet: flags.fleet });
  if (removed.length === 0) console.log(`Nothing to remove for fleet '${flags.fleet ?? "local"}'.`);
  for (const item of removed) console.log(`removed ${item}`);
  return 0;
}

async function main(): Promise<void> {
  const { command, flags } = parseArgs(process.argv.slice(2));
  process.exitCode = command === "up" ? await up(flags) : await down(flags);
}

if (require.main === module) {
  main().catch((err: Error) => {
    console.error(`\n${err.message}`);
    process.exitCode = 1;
  });
}
