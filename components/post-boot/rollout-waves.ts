/**
 * Rollout waves of the post-boot TLS step within one pool.
 *
 * Why: every run of the step restarts dockerd on its server (live-restore keeps the containers, but that
 * host's Docker API is down for a few seconds). A `tls.epoch` bump re-runs the step everywhere, and Pulumi
 * runs independent resources in parallel, so without an order every dockerd of a pool restarted at the same
 * moment and the pool briefly had no healthy endpoint. Chaining the step of server i after the step of
 * server i - waveSize bounds the restarts to `waveSize` servers of a pool at a time, and each server waits
 * for its predecessor's step to have reported success, so a wave that fails stops the rest of its pool.
 *
 * Pure: no @pulumi import, so the arithmetic is testable on its own.
 */

/** How many waves a pool's post-boot steps roll out in, unless the stack says otherwise. */
export const DEFAULT_ROLLOUT_WAVES = 4;

/**
 * How many servers of a pool run the step at once: `ceil(serverCount / waves)`, at least 1.
 * With 8 servers and 4 waves: 2 at a time, servers 1-2, then 3-4, 5-6, 7-8.
 */
export function rolloutWaveSize(serverCount: number, waves: number = DEFAULT_ROLLOUT_WAVES): number {
  if (!Number.isInteger(waves) || waves < 1) throw new RangeError(`rollout waves must be a whole number of 1 or more, got ${waves}`);
  return Math.max(1, Math.ceil(serverCount / waves));
}

/**
 * The position (0-based, within the pool) of the step the step at `position` waits for, or undefined
 * for the first wave, which waits for no other step.
 */
export function rolloutPredecessor(position: number, waveSize: number): number | undefined {
  const previous = position - waveSize;
  return previous >= 0 ? previous : undefined;
}
