/**
 * refillAfterHandOutMs: the refill that replaces a handed-out sandbox waits so the holder's first command runs
 * first (the sandbox service sets 25 ms, REFILL_AFTER_HAND_OUT_MS: its clients are a round trip away), but nothing that needs a sandbox
 * waits for it: any other reason to refill runs it on the next macrotask.
 */
import { describe, expect, it, vi } from "vitest";
import { InvalidOptionsError } from "../../../runtime/errors";
import { resolvePoolOptions } from "../../../runtime/pool/options";
import { Refiller } from "../../../runtime/pool/refiller";
import { unitRegistry } from "./support/registry-fixture";

const nextMacrotask = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function refiller(afterHandOutMs: number, closing = () => false): { refiller: Refiller; runs: () => number } {
  const r = new Refiller({}, [], {} as never, {} as never, {} as never, {} as never, closing, afterHandOutMs);
  const run = vi.spyOn(r, "run").mockImplementation(() => undefined);
  return { refiller: r, runs: () => run.mock.calls.length };
}

describe("the refill after a hand-out", () => {
  it("runs on the next macrotask by default, as it always did", async () => {
    const { refiller: r, runs } = refiller(0);
    r.scheduleAfterHandOut();
    expect(runs()).toBe(0);
    await nextMacrotask();
    expect(runs()).toBe(1);
  });

  it("waits refillAfterHandOutMs when set, and runs once", async () => {
    const { refiller: r, runs } = refiller(40);
    r.scheduleAfterHandOut();
    r.scheduleAfterHandOut();
    await nextMacrotask();
    await sleep(10);
    expect(runs()).toBe(0);
    await sleep(60);
    expect(runs()).toBe(1);
  });

  it("runs at once when something else asks for a refill meanwhile (a waiting acquire, a removal), and not again later", async () => {
    const { refiller: r, runs } = refiller(40);
    r.scheduleAfterHandOut();
    r.schedule();
    await nextMacrotask();
    expect(runs()).toBe(1);
    await sleep(70);
    expect(runs()).toBe(1);
  });

  it("does not run for a closing pool", async () => {
    const { refiller: r, runs } = refiller(5, () => true);
    r.scheduleAfterHandOut();
    await sleep(30);
    expect(runs()).toBe(0);
  });
});

describe("refillAfterHandOutMs as a pool option", () => {
  const registry = unitRegistry([]);
  const resolve = (options: object) => resolvePoolOptions({ registry, profiles: { default: { image: "busybox" } }, ...options } as never, {});

  it("defaults to 0 for a library pool and takes a value in ms", () => {
    expect(resolve({}).refillAfterHandOutMs).toBe(0);
    expect(resolve({ refillAfterHandOutMs: 25 }).refillAfterHandOutMs).toBe(25);
  });

  it("rejects a negative value naming the option", () => {
    expect(() => resolve({ refillAfterHandOutMs: -1 })).toThrow(InvalidOptionsError);
    expect(() => resolve({ refillAfterHandOutMs: -1 })).toThrow(/refillAfterHandOutMs/);
  });
});
