/**
 * The pure parts of persistent workspaces: the volume labels are a complete record (a reconcile rebuilds the store
 * from them), requests fail at the edge naming the field, and idle auto-stop fires exactly after idleStopMs.
 */
import { describe, expect, it } from "vitest";
import { parseCreateWorkspace, numericUser } from "../../../runtime/workspace/request";
import { recordFromLabels, workspaceLabels, WORKSPACE_POOL_LABEL_VALUE } from "../../../runtime/workspace/labels";
import { IdleStopper } from "../../../runtime/workspace/idle-stopper";
import type { WorkspaceRecord } from "../../../runtime/workspace/record";

const record: WorkspaceRecord = {
  id: "0123456789ab",
  owner: "key_1",
  name: "proj",
  profile: "default",
  endpointId: "hetzner-1",
  quotaGb: 5,
  labels: { team: "blue" },
  createdAt: Date.parse("2026-12-02T10:00:00Z"),
  lastActivityAt: Date.parse("2026-12-02T10:00:00Z"),
};

describe("workspace records", () => {
  it("rebuilds the record from the volume's labels (activity starts at creation)", () => {
    expect(recordFromLabels(workspaceLabels(record, "data"), "hetzner-1")).toEqual(record);
  });

  it("takes no record from a running or io container's labels, only from the volume's", () => {
    expect(recordFromLabels(workspaceLabels(record, "run"), "hetzner-1")).toBeUndefined();
    expect(recordFromLabels(workspaceLabels(record, "io"), "hetzner-1")).toBeUndefined();
  });

  it("marks containers with a pool value no pool id can take, so no pool's orphan reconciler removes them", () => {
    expect(workspaceLabels(record, "run")["dev.sandfleet.pool"]).toBe(WORKSPACE_POOL_LABEL_VALUE);
    expect(/^[a-z0-9][a-z0-9._-]{0,62}$/.test(WORKSPACE_POOL_LABEL_VALUE)).toBe(false);
  });

  it("refuses bad requests naming the field", () => {
    expect(() => parseCreateWorkspace({ name: "Bad", owner: "o" })).toThrow(/name: must be 1-63 lower-case/);
    expect(() => parseCreateWorkspace({ name: "ok", owner: "o", quotaGb: -1 })).toThrow(/quotaGb/);
    expect(() => parseCreateWorkspace({ name: "ok", owner: "o", size: 1 } as never)).toThrow(/Unrecognized key/);
    expect(parseCreateWorkspace({ name: "ok", owner: "o" })).toMatchObject({ quotaGb: 10, labels: {} });
    expect(() => numericUser("nobody", "default")).toThrow(/numeric uid\[:gid\]/);
    expect(numericUser("1000", "default")).toEqual({ uid: 1000, gid: 1000 });
  });

  it("stops a running workspace once idleStopMs passed since its last activity, not before", async () => {
    let now = 0;
    const stopped: string[] = [];
    const running = [{ ...record, lastActivityAt: 0 }];
    const stopper = new IdleStopper({ idleStopMs: 1_000, checkMs: 100, now: () => now, running: () => running, inFlight: () => 0, stop: async (r) => void stopped.push(r.id) });
    now = 999;
    stopper.sweep();
    expect(stopped).toEqual([]);
    now = 1_000;
    stopper.sweep();
    await Promise.resolve();
    expect(stopped).toEqual([record.id]);
  });

  it("never stops a workspace with an operation in flight, however old its last activity; idleStopMs 0 never stops", async () => {
    let now = 10_000;
    let inFlight = 1;
    const stopped: string[] = [];
    const running = [{ ...record, lastActivityAt: 0 }];
    const stopper = new IdleStopper({ idleStopMs: 1_000, checkMs: 100, now: () => now, running: () => running, inFlight: () => inFlight, stop: async (r) => void stopped.push(r.id) });
    expect(stopper.isIdle(running[0]!)).toBe(false);
    stopper.sweep();
    await Promise.resolve();
    expect(stopped).toEqual([]);
    inFlight = 0;
    expect(stopper.isIdle(running[0]!)).toBe(true);
    stopper.sweep();
    await Promise.resolve();
    expect(stopped).toEqual([record.id]);
    const never = new IdleStopper({ idleStopMs: 0, checkMs: 100, now: () => now, running: () => running, inFlight: () => 0, stop: async () => undefined });
    now = Number.MAX_SAFE_INTEGER;
    expect(never.isIdle(running[0]!)).toBe(false);
  });
});
