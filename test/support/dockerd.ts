/**
 * Real Docker engines for tests: each `startTestDaemon()` runs its own dockerd (own data root, exec root,
 * unix socket and pid file, so it never fights the machine's engine or another test daemon), listening with
 * mutual TLS (`--tlsverify`) on a free 127.0.0.1 port, with gVisor (`runsc`) registered as a runtime.
 *
 * Needs root and Debian's docker.io + runsc (installed by .ci/run). Use `dockerdSupport()` to skip loudly
 * outside CI when they are missing.
 */
import { ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import type { Endpoint, EndpointRegistry } from "../../runtime/registry/schema";
import { withDeadline } from "../../runtime/deadline";
import { issueDockerTls, LocalDockerTls } from "../../components/tls/local-issuer";
import { killAll, LeftoverProcess, processesReferencing, removeTree } from "./leftovers";

/** runsc args that work on these machines' kernel (see ENVIRONMENT.md); real servers use systrap + sandbox. */
export const TEST_RUNSC_ARGS = ["--platform=ptrace", "--network=none"];

export interface DockerdSupport {
  ok: boolean;
  reason?: string;
}

/** Whether this machine can run test daemons (root, dockerd, runsc). */
export function dockerdSupport(): DockerdSupport {
  if (process.getuid?.() !== 0) return { ok: false, reason: "test daemons need root" };
  for (const bin of ["/usr/sbin/dockerd", "/usr/bin/runsc"]) {
    if (!existsSync(bin)) return { ok: false, reason: `${bin} is missing (apt-get install docker.io runsc)` };
  }
  return { ok: true };
}

export interface TestDaemonOptions {
  /** Short name, used in paths and the endpoint id. */
  name: string;
  /** Shared TLS material; the server cert named "test-dockerd" is used. Default: a fresh CA. */
  tls?: LocalDockerTls;
  /** The daemon's default runtime. @default "runc" (sandboxes must ask for runsc explicitly) */
  defaultRuntime?: "runc" | "runsc";
  /** daemon.json `live-restore` (as on real servers): containers keep running while dockerd restarts. @default false */
  liveRestore?: boolean;
}

export interface TestDaemon {
  name: string;
  host: "127.0.0.1";
  port: number;
  socketPath: string;
  tls: LocalDockerTls;
  /** Unix-socket client, for assertions (`docker inspect`) that bypass TLS. */
  docker: Docker;
  readonly pid: number;
  /** An endpoint entry for a registry (maxContainers 10, weight 1, labels {daemon: name}); override anything. */
  endpoint(overrides?: Partial<Endpoint>): Endpoint;
  /** SIGSTOP / SIGCONT: a frozen host (accepts TCP connections in the kernel, never answers). */
  freeze(): void;
  thaw(): void;
  /** SIGKILL the daemon (a crashed host). */
  kill(): Promise<void>;
  /** SIGTERM the daemon and wait for it to exit, leaving its containers (with liveRestore they keep running). */
  terminate(): Promise<void>;
  /** Start it again on the same port and data root after `kill()`, `terminate()` or `stop()`. */
  restart(): Promise<void>;
  /**
   * Stops the daemon and removes its directories. Whatever outlives it (containerd, shims, runsc sandboxes) is
   * killed; after a clean stop of a running daemon that is a leak (e.g. a runsc start that failed leaves its
   * shim), and stop() throws naming it, so the test that caused it fails.
   */
  stop(): Promise<void>;
}

/** A fresh TLS set for test daemons: CA, a server cert for 127.0.0.1/localhost, a client cert. */
export function issueTestTls(): Promise<LocalDockerTls> {
  return issueDockerTls({ stack: "test", servers: [{ serverName: "test-dockerd", privateIp: "127.0.0.1" }] });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

export async function startTestDaemon(options: TestDaemonOptions): Promise<TestDaemon> {
  const support = dockerdSupport();
  if (!support.ok) throw new Error(`cannot start a test dockerd: ${support.reason}`);
  const tls = options.tls ?? (await issueTestTls());
  // containerd's sockets live in the exec root, and containerd refuses a unix socket path over 104 bytes
  // ("unix socket path too long (> 104)"): the runs' TMPDIRs nest (.ci/run's, then vitest's per tier), so the
  // prefix is short and a TMPDIR too deep is said at once instead of as a daemon that never answers.
  const root = mkdtempSync(join(tmpdir(), `sfd-${options.name}-`));
  const longestSocket = join(root, "exec/containerd/containerd-debug.sock");
  if (Buffer.byteLength(longestSocket) > 104) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(
      `cannot start a test dockerd under TMPDIR=${tmpdir()}: containerd's socket ${longestSocket} would be ` +
        `${Buffer.byteLength(longestSocket)} bytes, over the 104 a unix socket path may have; run the tests with a shorter TMPDIR`,
    );
  }
  const paths = {
    data: join(root, "data"),
    exec: join(root, "exec"),
    socket: join(root, "docker.sock"),
    pid: join(root, "docker.pid"),
    log: join(root, "dockerd.log"),
    config: join(root, "daemon.json"),
    ca: join(root, "ca.pem"),
    cert: join(root, "cert.pem"),
    key: join(root, "key.pem"),
  };
  mkdirSync(paths.data);
  mkdirSync(paths.exec);
  const server = tls.servers["test-dockerd"];
  if (!server) throw new Error('the TLS set for test daemons needs a server cert named "test-dockerd"');
  writeFileSync(paths.ca, tls.ca.certPem);
  writeFileSync(paths.cert, server.certPem);
  writeFileSync(paths.key, server.keyPem, { mode: 0o400 });
  writeFileSync(
    paths.config,
    JSON.stringify({
      runtimes: { runsc: { path: "/usr/bin/runsc", runtimeArgs: TEST_RUNSC_ARGS } },
      "default-runtime": options.defaultRuntime ?? "runc",
      ...(options.liveRestore ? { "live-restore": true } : {}),
    }),
  );
  const port = await freePort();
  const args = [
    `--config-file=${paths.config}`,
    `--data-root=${paths.data}`,
    `--exec-root=${paths.exec}`,
    `--pidfile=${paths.pid}`,
    `-H`, `unix://${paths.socket}`,
    `-H`, `tcp://127.0.0.1:${port}`,
    `--tlsverify`,
    `--tlscacert=${paths.ca}`,
    `--tlscert=${paths.cert}`,
    `--tlskey=${paths.key}`,
    // Several daemons on one machine must not fight over docker0 and the nat table.
    `--bridge=none`,
    `--iptables=false`,
    `--ip-masq=false`,
    `--storage-driver=overlay2`,
  ];

  let child: ChildProcess | undefined;
  const launch = async () => {
    rmSync(paths.pid, { force: true });
    const logFd = openSync(paths.log, "a");
    child = spawn("/usr/sbin/dockerd", args, { stdio: ["ignore", logFd, logFd], detached: true });
    child.unref();
    await waitForPing(new Docker({ socketPath: paths.socket }), paths.log, 60_000);
  };
  await launch();

  const docker = new Docker({ socketPath: paths.socket });
  const daemon: TestDaemon = {
    name: options.name,
    host: "127.0.0.1",
    port,
    socketPath: paths.socket,
    tls,
    docker,
    get pid() {
      return child?.pid ?? -1;
    },
    endpoint(overrides = {}) {
      return {
        id: `test-${options.name}`,
        host: "127.0.0.1",
        port,
        provider: "local",
        region: "test",
        location: "loopback",
        runtime: "runsc",
        maxContainers: 10,
        weight: 1,
        capacity: { cpus: 2, memoryMb: 4096, diskGb: 10 },
        labels: { daemon: options.name },
        ...overrides,
      };
    },
    freeze() {
      if (child?.pid) process.kill(child.pid, "SIGSTOP");
    },
    thaw() {
      if (child?.pid) process.kill(child.pid, "SIGCONT");
    },
    async kill() {
      if (child?.pid) {
        try {
          process.kill(child.pid, "SIGCONT");
          process.kill(child.pid, "SIGKILL");
        } catch {
          /* already gone */
        }
        await waitForExit(child);
      }
    },
    async terminate() {
      if (child?.pid && child.exitCode === null && child.signalCode === null) {
        process.kill(child.pid, "SIGCONT");
        process.kill(child.pid, "SIGTERM");
        await waitForExit(child);
      }
    },
    async restart() {
      await launch();
    },
    async stop() {
      const wasRunning = !!child?.pid && child.exitCode === null && child.signalCode === null;
      if (child?.pid && wasRunning) {
        try {
          process.kill(child.pid, "SIGCONT");
        } catch {
          /* gone */
        }
        // Remove every container first so no runsc sandbox or shim outlives the daemon.
        try {
          const containers = await withTimeout(docker.listContainers({ all: true }), 10_000);
          await Promise.all(
            containers.map((c) => withTimeout(docker.getContainer(c.Id).remove({ force: true }), 20_000).catch(() => undefined)),
          );
        } catch {
          /* daemon unresponsive; fall through to the kill */
        }
        process.kill(child.pid, "SIGTERM");
        const exited = await Promise.race([waitForExit(child).then(() => true), sleep(20_000).then(() => false)]);
        if (!exited) {
          process.kill(child.pid, "SIGKILL");
          await waitForExit(child);
        }
      }
      // containerd exits shortly after dockerd; anything still there after that outlived the daemon.
      const leftovers = await survivors(root, wasRunning ? 5_000 : 0);
      killAll(leftovers);
      removeTree(root);
      if (wasRunning && leftovers.length > 0) {
        throw new Error(
          `test dockerd ${options.name}: ${leftovers.length} process(es) outlived a clean stop (now killed): ` +
            leftovers.map((p) => `${p.pid} ${p.command.slice(0, 120)}`).join("; ") +
            `; every container was removed first, so these leaked (under runsc a container start that fails leaves its shim)`,
        );
      }
    },
  };
  return daemon;
}

/** Starts `count` daemons sharing one CA (so one registry `tls` block works for all of them). */
export async function startTestDaemons(
  names: string[],
  options: Omit<TestDaemonOptions, "name"> = {},
): Promise<TestDaemon[]> {
  const tls = options.tls ?? (await issueTestTls());
  const daemons: TestDaemon[] = [];
  try {
    for (const name of names) daemons.push(await startTestDaemon({ ...options, name, tls }));
  } catch (err) {
    await Promise.all(daemons.map((d) => d.stop()));
    throw err;
  }
  return daemons;
}

/** A registry over the given daemons (they must share one TLS set). */
export function testRegistry(daemons: TestDaemon[], overrides: Partial<Endpoint>[] = []): EndpointRegistry {
  const tls = daemons[0]!.tls;
  return {
    version: 1,
    stack: "test",
    tls: { ca: tls.ca.certPem, clientCert: tls.client.certPem, clientKey: tls.client.keyPem },
    endpoints: daemons.map((d, i) => d.endpoint(overrides[i] ?? {})),
  };
}

async function waitForPing(docker: Docker, logPath: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await withTimeout(docker.ping(), 2_000);
      return;
    } catch {
      await sleep(200);
    }
  }
  const log = existsSync(logPath) ? readFileSync(logPath, "utf8").split("\n").slice(-30).join("\n") : "(no log)";
  throw new Error(`test dockerd did not answer within ${timeoutMs} ms; last log lines:\n${log}`);
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** The processes under the daemon's directory once `graceMs` passed (or at once when there are none). */
async function survivors(root: string, graceMs: number): Promise<LeftoverProcess[]> {
  const deadline = Date.now() + graceMs;
  let found = processesReferencing(root);
  while (found.length > 0 && Date.now() < deadline) {
    await sleep(100);
    found = processesReferencing(root);
  }
  return found;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A deadline around a test step (the runtime's helper, with this file's message). */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return withDeadline(promise, ms, `timed out after ${ms} ms`);
}
