/**
 * The wave arithmetic of the post-boot rollout (components/post-boot/rollout-waves.ts): how many servers of a
 * pool restart dockerd at once, and which step each one waits for.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_ROLLOUT_WAVES, rolloutPredecessor, rolloutWaveSize } from "../../../components/post-boot/rollout-waves";

/** Simulates the chain: the wave (1-based) each position runs in, if every step takes the same time. */
function wavesOf(count: number, waves?: number): number[] {
  const size = rolloutWaveSize(count, waves);
  const wave: number[] = [];
  for (let i = 0; i < count; i++) {
    const previous = rolloutPredecessor(i, size);
    wave.push(previous === undefined ? 1 : wave[previous] + 1);
  }
  return wave;
}

describe("post-boot rollout waves", () => {
  it("defaults to 4 waves", () => expect(DEFAULT_ROLLOUT_WAVES).toBe(4));

  it("restarts ceil(count / waves) servers of a pool at once, and at least one", () => {
    expect(rolloutWaveSize(8)).toBe(2);
    expect(rolloutWaveSize(10)).toBe(3);
    expect(rolloutWaveSize(3)).toBe(1);
    expect(rolloutWaveSize(1)).toBe(1);
    expect(rolloutWaveSize(0)).toBe(1);
    expect(rolloutWaveSize(8, 1)).toBe(8);
    expect(rolloutWaveSize(8, 8)).toBe(1);
    expect(rolloutWaveSize(8, 100)).toBe(1);
  });

  it("lets the first wave wait for no step, and every later server wait for the one a wave earlier", () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => rolloutPredecessor(i, 2))).toEqual([undefined, undefined, 0, 1, 2, 3, 4, 5]);
    expect([0, 1, 2].map((i) => rolloutPredecessor(i, 1))).toEqual([undefined, 0, 1]);
  });

  it("never needs more waves than configured, whatever the pool size", () => {
    for (let count = 1; count <= 60; count++) {
      for (const waves of [1, 2, 3, 4, 7]) {
        const perServer = wavesOf(count, waves);
        expect(Math.max(...perServer), `${count} servers in ${waves} waves`).toBeLessThanOrEqual(waves);
        // No wave holds more than the wave size.
        const size = rolloutWaveSize(count, waves);
        for (let w = 1; w <= waves; w++) expect(perServer.filter((x) => x === w).length).toBeLessThanOrEqual(size);
      }
    }
    expect(wavesOf(8)).toEqual([1, 1, 2, 2, 3, 3, 4, 4]);
  });

  it("rejects a wave count below 1 or not whole, naming the rule", () => {
    expect(() => rolloutWaveSize(8, 0)).toThrow("rollout waves must be a whole number of 1 or more, got 0");
    expect(() => rolloutWaveSize(8, 1.5)).toThrow("got 1.5");
  });
});
