/**
 * Starts a stack program the way `pulumi-language-nodejs` (the Pulumi CLI's Node language host) does:
 * `Pulumi.yaml`'s `main:` becomes the working directory and `--pwd`, the entry is `.`, the SDK's own
 * `cmd/run/index.js` is the process, config arrives in `PULUMI_CONFIG` / `PULUMI_CONFIG_SECRET_KEYS`, and
 * `runtime.options` (typescript, tsconfig, nodeargs) become the same environment variables and flags.
 * ts-node's compile cache goes to a fresh directory per run unless the caller passes one: a cold start, as on
 * a new clone (the CLI's ts-node keeps its cache in the OS temp directory, so a user's second run is warm).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { RecordingEngine } from "./recording-engine";
import { languageHostConfig, repoRoot, type StackFile } from "./stack-files";

interface ProjectFile {
  name: string;
  main?: string;
  runtime: { name: string; options?: { typescript?: boolean; tsconfig?: string; nodeargs?: string } };
}

export interface LanguageHostRun {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** From process start to exit: compile (type-check included) + program + shutdown. */
  wallMs: number;
  /**
   * CPU time (user + system) of the cmd/run process, sampled from /proc every 100 ms (Linux; undefined
   * elsewhere): steadier than wall time on a shared machine.
   */
  cpuMs?: number;
  engine: RecordingEngine;
}

export interface LanguageHostOptions {
  /** The checkout to run from (the folder with Pulumi.yaml). @default this repository */
  root?: string;
  dryRun: boolean;
  /** The Node.js binary. @default the one running the test */
  node?: string;
  /** @default 10, the CLI's default --parallel */
  parallel?: number;
  /**
   * PULUMI_NODEJS_TRANSPILE_ONLY, which users set to skip type-checking (the Pulumi docs suggest it for
   * speed). @default unset: ts-node type-checks, as the CLI does by default
   */
  transpileOnly?: boolean;
  /** ts-node's compile cache (TS_NODE_CACHE_DIRECTORY). @default a fresh directory, removed after the run (cold) */
  compileCache?: string;
  /** @default 300 s */
  timeoutMs?: number;
}

/** Clock ticks per second of /proc/<pid>/stat's times: USER_HZ, 100 on Linux for every architecture Node runs on. */
const USER_HZ = 100;

function cpuTimeOf(pid: number | undefined): number | undefined {
  try {
    // Fields after the command name (which may contain spaces, hence the last ")"): utime is 14th, stime 15th.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(")").pop()!.trim().split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / USER_HZ;
  } catch {
    return undefined;
  }
}

export function readProjectFile(root: string): ProjectFile {
  return parse(readFileSync(join(root, "Pulumi.yaml"), "utf8")) as ProjectFile;
}

export async function runOnLanguageHostPath(file: StackFile, options: LanguageHostOptions): Promise<LanguageHostRun> {
  const root = options.root ?? repoRoot;
  const project = readProjectFile(root);
  if (project.runtime.name !== "nodejs") throw new Error(`Pulumi.yaml runtime is ${project.runtime.name}, expected nodejs`);
  const programDir = resolve(root, project.main ?? ".");
  const engine = new RecordingEngine({ project: project.name, stack: file.stack, dryRun: options.dryRun });
  const address = await engine.start();
  const scratch = mkdtempSync(join(tmpdir(), "sf-realpath-"));
  const { config, secretKeys } = languageHostConfig(file);
  const runtimeOptions = project.runtime.options ?? {};
  const env: Record<string, string> = {};
  // The language host passes the CLI's environment through; drop what an outer Pulumi or ts-node run could leak.
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && !/^(PULUMI_|TS_NODE_|VITEST|NODE_OPTIONS$)/.test(key)) env[key] = value;
  }
  Object.assign(env, {
    PULUMI_CONFIG: JSON.stringify(config),
    PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(secretKeys),
    PULUMI_NODEJS_TYPESCRIPT: String(runtimeOptions.typescript ?? true),
    TS_NODE_CACHE_DIRECTORY: options.compileCache ?? join(scratch, "ts-node-cache"),
  });
  if (runtimeOptions.tsconfig) env.PULUMI_NODEJS_TSCONFIG_PATH = runtimeOptions.tsconfig;
  if (options.transpileOnly !== undefined) env.PULUMI_NODEJS_TRANSPILE_ONLY = String(options.transpileOnly);
  const runScript = require.resolve("@pulumi/pulumi/cmd/run/index.js", { paths: [programDir] });
  const args = [
    ...(runtimeOptions.nodeargs ? runtimeOptions.nodeargs.split(/\s+/).filter(Boolean) : []),
    runScript,
    "--monitor", address,
    "--engine", address,
    "--sync", join(scratch, "sync"),
    "--organization", "organization",
    "--project", project.name,
    "--root-directory", root,
    "--stack", file.stack,
    "--pwd", programDir,
    ...(options.dryRun ? ["--dry-run"] : []),
    "--parallel", String(options.parallel ?? 10),
    ".",
  ];
  const started = Date.now();
  try {
    const child = spawn(options.node ?? process.execPath, args, { cwd: programDir, env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timeoutMs = options.timeoutMs ?? 300_000;
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    let cpuMs: number | undefined;
    const sampler = setInterval(() => (cpuMs = cpuTimeOf(child.pid) ?? cpuMs), 100);
    const exitCode = await new Promise<number | null>((done) => child.on("close", (code) => done(code)));
    clearTimeout(timer);
    clearInterval(sampler);
    return { exitCode, stdout, stderr, wallMs: Date.now() - started, cpuMs, engine };
  } finally {
    await engine.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
}
