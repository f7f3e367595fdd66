/**
 * The service writes each egress refusal of a leased sandbox to its audit log as the pool sees it, with nobody
 * calling GET .../egress: one row per refusal, under the key that holds the lease, with the host's time, and no
 * row twice when the holder does read them. The pool runs over in-memory sandboxes whose denial logs the test
 * appends to (test/unit/runtime/support/fake-egress-engine.ts); leases and audit rows are the service's own
 * classes on a real database file.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { DatabaseSync } from "node:sqlite";
import type { Pool } from "../../../runtime/index";
import { ApiKeys } from "../../../service/db/api-keys";
import { AuditLog } from "../../../service/db/audit-log";
import { openServiceDatabase } from "../../../service/db/database";
import { auditEgressDenials } from "../../../service/egress-denial-audit";
import { SandboxLeases } from "../../../service/leases";
import { denial, poolWithDenialLogs } from "../runtime/support/fake-egress-engine";

// node:sqlite (the service's database) is built into Node 22.5+; the unit tier also runs on Node 20 (CI runs it on 24 too).
const [major, minor] = process.versions.node.split(".").map(Number);
const hasNodeSqlite = major! > 22 || (major === 22 && minor! >= 5);
const LIMITS = { concurrentSandboxes: 4, maxLeaseMs: 600_000, requestsPerSecond: 100 };

describe.skipIf(!hasNodeSqlite)("egress refusals in the service's audit log", () => {
  let dir: string | undefined;
  let pool: Pool | undefined;
  let db: DatabaseSync | undefined;
  afterEach(async () => {
    await pool?.close();
    db?.close();
    pool = db = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  async function service() {
    const started = await poolWithDenialLogs("unit-egress-audit");
    pool = started.pool;
    dir = mkdtempSync(join(tmpdir(), "sf-egress-audit-"));
    db = openServiceDatabase(dir);
    const keys = new ApiKeys(db);
    const leases = new SandboxLeases(pool, db);
    const audit = new AuditLog(db);
    const stop = auditEgressDenials(pool, leases, audit);
    const egressRows = () =>
      audit
        .recent(1_000)
        .filter((r) => r.method === "EGRESS")
        .reverse()
        .map((r) => ({ key: r.keyId, sandbox: r.sandboxId, endpoint: r.endpointId, route: r.route, status: r.status, outcome: r.outcome, at: r.at.toISOString() }));
    return { pool, leases, keys, egressRows, stop, log: started.log };
  }

  it("writes one row per refusal under the lease's key as the health round sees it, and none twice after a read", async () => {
    const { pool, leases, keys, egressRows, log } = await service();
    const alice = keys.create("alice", LIMITS).record;
    const bob = keys.create("bob", LIMITS).record;
    const a = await leases.create(alice, { leaseMs: 60_000 });
    const b = await leases.create(bob, { leaseMs: 60_000 });
    const sandboxA = leases.sandbox(alice, a.id);
    const first = { ...denial("evil.example", 443, "CONNECT"), time: "2026-12-03T05:00:00.000Z" };
    log(sandboxA).lines.push(first, denial("evil.example", 80));
    log(leases.sandbox(bob, b.id)).lines.push(denial("other.example", 8080));

    await pool.checkHealth(); // what the pool's timer does every healthIntervalMs; no API call, no egressDenials()
    const rows = egressRows();
    expect(rows.filter((r) => r.sandbox === a.id)).toEqual([
      { key: alice.id, sandbox: a.id, endpoint: "ws-1", route: "egress-denied evil.example:443", status: 403, outcome: "denied", at: first.time },
      expect.objectContaining({ key: alice.id, route: "egress-denied evil.example:80" }),
    ]);
    expect(rows.filter((r) => r.sandbox === b.id)).toEqual([expect.objectContaining({ key: bob.id, route: "egress-denied other.example:8080" })]);

    // What GET .../egress does: read the whole list. It adds no row for refusals already written, one for a new one.
    log(sandboxA).lines.push(denial("late.example", 443));
    expect((await sandboxA.egressDenials()).map((d) => d.host)).toEqual(["evil.example", "evil.example", "late.example"]);
    await pool.checkHealth();
    expect(egressRows().filter((r) => r.sandbox === a.id).map((r) => r.route)).toEqual(["egress-denied evil.example:443", "egress-denied evil.example:80", "egress-denied late.example:443"]);
  });

  it("writes what a sandbox tried just before its release, once the pool's final read ran", async () => {
    const { pool, leases, keys, egressRows, log } = await service();
    const alice = keys.create("alice", LIMITS).record;
    const a = await leases.create(alice, { leaseMs: 60_000 });
    log(leases.sandbox(alice, a.id)).lines.push(denial("exfil.example", 443));
    leases.release(alice, a.id);
    await leases.closeAll();
    await pool.close();
    expect(egressRows()).toEqual([expect.objectContaining({ key: alice.id, sandbox: a.id, route: "egress-denied exfil.example:443" })]);
  });

  it("stops writing once unsubscribed", async () => {
    const { pool, leases, keys, egressRows, stop, log } = await service();
    const alice = keys.create("alice", LIMITS).record;
    const a = await leases.create(alice, { leaseMs: 60_000 });
    stop();
    log(leases.sandbox(alice, a.id)).lines.push(denial("quiet.example", 443));
    await pool.checkHealth();
    expect(egressRows()).toEqual([]);
  });
});
