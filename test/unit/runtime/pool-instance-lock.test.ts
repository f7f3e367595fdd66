import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { InvalidOptionsError } from "../../../runtime/errors";
import { acquireInstanceLock } from "../../../runtime/pool/instance-lock";

describe("one live pool per pool id", () => {
  const dir = mkdtempSync(join(tmpdir(), "sf-lock-"));
  afterEach(() => rmSync(join(dir, "sandfleet-pool-p.pid"), { force: true }));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("refuses a second pool with the same id in this process, and allows it after release", () => {
    const lock = acquireInstanceLock("p", dir);
    expect(() => acquireInstanceLock("p", dir)).toThrow(InvalidOptionsError);
    expect(() => acquireInstanceLock("p", dir)).toThrow(/give each live pool \(each process\) its own poolId/);
    lock.release();
    acquireInstanceLock("p", dir).release();
  });

  it("refuses an id held by another live process", () => {
    writeFileSync(join(dir, "sandfleet-pool-p.pid"), "1"); // pid 1 is always alive
    expect(() => acquireInstanceLock("p", dir)).toThrow(/in use by process 1/);
  });

  it("takes over the id of a process that died (the restart-after-crash case)", () => {
    writeFileSync(join(dir, "sandfleet-pool-p.pid"), "999999999");
    const lock = acquireInstanceLock("p", dir);
    expect(readFileSync(join(dir, "sandfleet-pool-p.pid"), "utf8")).toBe(String(process.pid));
    lock.release();
  });
});
