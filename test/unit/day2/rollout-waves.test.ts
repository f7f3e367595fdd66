/**
 * Rollout waves of the post-boot TLS step on the whole stack program: each run restarts dockerd, so within a
 * pool the step of server i depends on the step of server i - waveSize (waveSize = ceil(count / waves),
 * `sandfleet:tls.rolloutWaves`, default 4), and pools roll independently. Pulumi's mocks do not pass
 * dependencies on, so the update model (./support/update-model.ts) reads them from the engine request: they
 * are what a real engine orders the update by.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { runUpdate, type UpdateRun } from "./support/update-model";

const config = (pools: Record<string, unknown>, tls?: Record<string, unknown>) => ({
  "sandfleet:provider": "hetzner",
  "sandfleet:location": "fsn1",
  "sandfleet:networkCidr": "10.0.0.0/16",
  "sandfleet:adminCidrs": ["198.51.100.0/24"],
  "sandfleet:platform": { serverType: "cx23", volumeGb: 10, floatingIp: true },
  "sandfleet:pools": pools,
  ...(tls ? { "sandfleet:tls": tls } : {}),
});
const pool = (count: number, tier: string) => ({ count, serverType: "cx33", maxContainers: 10, labels: { tier } });
const twoPools = { standard: pool(8, "standard"), burst: pool(3, "burst") };

const run = (pools: Record<string, unknown>, tls?: Record<string, unknown>): Promise<UpdateRun> => runUpdate("dev", config(pools, tls));

const STEP_RUN = /^sandfleet-dev-(ws-.+)-post-boot-run$/;

/** The servers whose post-boot run this server's post-boot run waits for. */
function stepsWaitedFor(run: UpdateRun, server: string): string[] {
  return run.mocks
    .named(`sandfleet-dev-${server}-post-boot-run`)
    .dependencies.map((name) => STEP_RUN.exec(name)?.[1])
    .filter((name): name is string => name !== undefined);
}

/** For every server of the pool (1..count): the servers it waits for. */
const chainOf = (run: UpdateRun, poolName: string, count: number) =>
  Object.fromEntries(Array.from({ length: count }, (_, i) => `ws-${poolName}-${i + 1}`).map((server) => [server, stepsWaitedFor(run, server)]));

describe("rolling the post-boot TLS step out in waves", () => {
  /** Default waves (4), epoch 1. */
  let fleet: UpdateRun;
  beforeAll(async () => {
    fleet = await run(twoPools, { epoch: 1 });
  });

  it("chains an 8-server pool in 4 waves of 2 by default: server i waits for server i - 2, the first wave for no step", () => {
    expect(chainOf(fleet, "standard", 8)).toEqual({
      "ws-standard-1": [],
      "ws-standard-2": [],
      "ws-standard-3": ["ws-standard-1"],
      "ws-standard-4": ["ws-standard-2"],
      "ws-standard-5": ["ws-standard-3"],
      "ws-standard-6": ["ws-standard-4"],
      "ws-standard-7": ["ws-standard-5"],
      "ws-standard-8": ["ws-standard-6"],
    });
  });

  it("rolls a 3-server pool one server at a time (ceil(3 / 4) = 1), independently of the other pool", () => {
    expect(chainOf(fleet, "burst", 3)).toEqual({ "ws-burst-1": [], "ws-burst-2": ["ws-burst-1"], "ws-burst-3": ["ws-burst-2"] });
    // No step waits for a step of another pool: both pools start their first wave at once.
    for (const server of [...Object.keys(chainOf(fleet, "standard", 8)), "ws-burst-1", "ws-burst-2", "ws-burst-3"]) {
      const poolName = server.split("-")[1];
      for (const waited of stepsWaitedFor(fleet, server)) expect(waited, server).toMatch(new RegExp(`^ws-${poolName}-`));
    }
  });

  it("orders only the dockerd restarts: script copies wait for their own server, never for another step", () => {
    const copies = fleet.mocks.resources.filter((r) => /-post-boot-script$/.test(r.name));
    expect(copies).toHaveLength(11);
    for (const copy of copies) expect(copy.dependencies.filter((name) => /post-boot/.test(name)), copy.name).toEqual([]);
    // The run still waits for its own copy of the script.
    expect(fleet.mocks.named("sandfleet-dev-ws-standard-5-post-boot-run").dependencies).toContain("sandfleet-dev-ws-standard-5-post-boot-script");
  });

  it("follows sandfleet:tls.rolloutWaves: 2 waves of 4 for 8 servers, and 1 wave runs every step at once", async () => {
    const halves = await run(twoPools, { rolloutWaves: 2 });
    expect(stepsWaitedFor(halves, "ws-standard-4")).toEqual([]);
    expect(stepsWaitedFor(halves, "ws-standard-5")).toEqual(["ws-standard-1"]);
    expect(stepsWaitedFor(halves, "ws-standard-8")).toEqual(["ws-standard-4"]);
    expect(chainOf(halves, "burst", 3)).toEqual({ "ws-burst-1": [], "ws-burst-2": [], "ws-burst-3": ["ws-burst-1"] });

    const allAtOnce = await run(twoPools, { rolloutWaves: 1 });
    for (const steps of [...Object.values(chainOf(allAtOnce, "standard", 8)), ...Object.values(chainOf(allAtOnce, "burst", 3))]) expect(steps).toEqual([]);
  });

  it("keeps the chain when sandfleet:tls.epoch is bumped, so the re-run steps restart dockerd wave by wave", async () => {
    const before = fleet;
    const after = await run(twoPools, { epoch: 2 });
    expect(chainOf(after, "standard", 8)).toEqual(chainOf(before, "standard", 8));
    expect(stepsWaitedFor(after, "ws-standard-5")).toEqual(["ws-standard-3"]);
    expect(after.mocks.named("sandfleet-dev-ws-standard-5-post-boot-run").inputs.triggers).not.toEqual(
      before.mocks.named("sandfleet-dev-ws-standard-5-post-boot-run").inputs.triggers,
    );
  });
});
