/**
 * One live pool per pool id on a host. A starting pool removes every container carrying its pool id (what a
 * crashed predecessor left), so a second live pool with the same id — two worker processes with the default
 * `${stack}-${hostname}` id, say — would destroy the first one's sandboxes, leased ones included. A pid file
 * per pool id (and a set within this process) turns that into a clear error at createPool(). A pid file whose
 * process is gone (SIGKILL, crash) is taken over, which is exactly the restart case.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InvalidOptionsError } from "../errors";

const inThisProcess = new Set<string>();

export interface InstanceLock {
  release(): void;
}

export function acquireInstanceLock(poolId: string, dir = tmpdir()): InstanceLock {
  const inUse = (owner: string) =>
    new InvalidOptionsError(
      `pool id "${poolId}" is in use by ${owner} on this host; a starting pool removes every container of its pool id, ` +
        `so give each live pool (each process) its own poolId option (or SANDFLEET_POOL_ID)`,
    );
  if (inThisProcess.has(poolId)) throw inUse("another pool in this process");
  const path = join(dir, `sandfleet-pool-${poolId}.pid`);
  try {
    const fd = openSync(path, "wx", 0o644);
    writeSync(fd, String(process.pid));
    closeSync(fd);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    const pid = Number.parseInt(readFileSync(path, "utf8").trim(), 10);
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) throw inUse(`process ${pid} (${path})`);
    writeFileSync(path, String(process.pid)); // its owner is gone: take over
  }
  inThisProcess.add(poolId);
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      inThisProcess.delete(poolId);
      try {
        if (readFileSync(path, "utf8").trim() === String(process.pid)) unlinkSync(path);
      } catch {
        /* already gone */
      }
    },
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
