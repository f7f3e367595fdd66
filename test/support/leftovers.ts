/**
 * Tests leave nothing behind: no process, no file. This is vitest's globalSetup for the unit and engine tiers.
 * Every test process gets a temporary directory of its own as TMPDIR (so `os.tmpdir()` points there, and a run
 * next to other runs on the same machine sees only its own files); at the end of the run, any process that still
 * refers to it (a test dockerd, its containerd, a containerd shim, a runsc sandbox) and any file still in it is a
 * leftover: it is removed, and the run fails with the list.
 *
 * The two helpers are shared with test/support/dockerd.ts, whose stop() uses them for one daemon's directory.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * What tools write to the temp directory on their own, not leftovers of a test (removed with the run's directory
 * all the same): tsx's compile cache (the bin, child processes started with tsx), and containerd's goroutine dump
 * `containerd.<pid>.stacks.log`, which dockerd asks for (SIGUSR1) before it restarts a containerd that stopped
 * answering, as after the SIGSTOP/SIGCONT of a frozen test daemon.
 */
const TOOL_CACHES = [/^tsx-\d+$/, /^node-compile-cache$/, /^containerd\.\d+\.stacks\.log$/];

export interface LeftoverProcess {
  pid: number;
  command: string;
}

/** Processes whose command line mentions `path` (daemons, shims and runsc sandboxes started under it). */
export function processesReferencing(path: string): LeftoverProcess[] {
  const found: LeftoverProcess[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let command: string;
    try {
      command = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    } catch {
      continue; // exited meanwhile
    }
    if (command.includes(path)) found.push({ pid, command });
  }
  return found;
}

/** SIGKILLs the processes (those already gone are fine). */
export function killAll(processes: readonly LeftoverProcess[]): void {
  for (const p of processes) {
    try {
      process.kill(p.pid, "SIGKILL");
    } catch {
      /* gone */
    }
  }
}

/** Removes a directory tree, unmounting first what a killed daemon left mounted in it (deepest first). */
export function removeTree(root: string): void {
  const mounts = readFileSync("/proc/self/mounts", "utf8")
    .split("\n")
    .map((line) => line.split(" ")[1])
    .filter((m): m is string => !!m && (m === root || m.startsWith(`${root}/`)))
    .sort((a, b) => b.length - a.length);
  for (const m of mounts) {
    try {
      execFileSync("umount", ["-l", m], { stdio: "ignore" });
    } catch {
      /* not ours to unmount, or gone */
    }
  }
  rmSync(root, { recursive: true, force: true });
}

/** vitest globalSetup: a private TMPDIR for the run; the teardown fails the run when anything is left in it. */
export default function setup(): () => void {
  // Each tier's directory sits beside the others, in the temp dir the run was given, never inside another
  // tier's: runsc builds its sandbox chroot in $TMPDIR from a process without root's file access, so every
  // directory above a test daemon's TMPDIR must be searchable by others, and mkdtemp's are 0700 (nested, every
  // gVisor container failed to start: "cannot read client sync file ... EOF"; runsc's boot log said
  // "Open(<TMPDIR>): permission denied"). A given TMPDIR must be searchable too (.ci/run makes its own 0711).
  const base = (process.env.SF_VITEST_TMPDIR_BASE ??= tmpdir());
  const root = mkdtempSync(join(base, "sf-vitest-"));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = root;
  return () => {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    const processes = processesReferencing(root);
    killAll(processes);
    const files = readdirSync(root).filter((name) => !TOOL_CACHES.some((cache) => cache.test(name)));
    removeTree(root);
    if (processes.length === 0 && files.length === 0) return;
    throw new Error(
      `the tests left things behind (now removed): ` +
        [
          ...processes.map((p) => `process ${p.pid}: ${p.command.slice(0, 160)}`),
          ...files.map((f) => `${join(root, f)} (a temp dir or file no afterAll/afterEach removed)`),
        ].join("; ") +
        `. Remove what a test creates in its own afterAll, and stop test daemons with stop().`,
    );
  };
}
