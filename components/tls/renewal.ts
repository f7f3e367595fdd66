/**
 * Automatic renewal of the Docker TLS leaves, without `earlyRenewalHours` (it does not renew reliably,
 * pulumi-tls#39) and without reading state.
 *
 * Time is cut into renewal periods of `validity - window` (90-day leaves, 30-day window: 60 days), counted
 * from the Unix epoch. Each leaf carries the index of the period the program runs in (its subject OU and its
 * key's replacement trigger, next to `tls.epoch`: see docker-tls.ts), so the first `pulumi up` in a new period
 * re-issues every leaf through the same path as an epoch bump: new keys, new certs, the post-boot step re-runs.
 *
 * Why it is sound: a leaf issued at time t in period p expires at t + validity; period p + 1 starts at the
 * latest at t + validity - window. So by the time a leaf enters the window, a new period has begun and any
 * `pulumi up` (or `preview`, which shows the replacements) renews it; `sandfleet doctor` warns with the same
 * window. The price: a leaf issued late in a period (or by an epoch bump) is renewed early, at the next
 * period start. Preview and up on the same day agree; only a period boundary between them differs.
 *
 * Pure: no @pulumi import, so the CLI and tests use it without an engine.
 */

/** Default renewal window, in days: stack config `tls.renewWithinDays` and `sandfleet doctor --renew-within`. */
export const DEFAULT_RENEW_WITHIN_DAYS = 30;

/**
 * The window used when none is set: 30 days, or a third of the leaves' validity when that is shorter (so a
 * short-lived leaf, e.g. `validityHours: 240`, is not always due: 3 days).
 */
export function defaultRenewWithinDays(validityHours: number): number {
  return Math.min(DEFAULT_RENEW_WITHIN_DAYS, Math.floor(validityHours / 24 / 3));
}

const HOUR_MS = 3_600_000;

function periodMs(validityHours: number, renewWithinDays: number): number {
  const hours = validityHours - renewWithinDays * 24;
  if (!(hours > 0)) {
    throw new RangeError(`renewal window ${renewWithinDays} days is not shorter than the leaves' validity (${validityHours} hours)`);
  }
  return hours * HOUR_MS;
}

/** Index of the renewal period `now` falls in. */
export function renewalPeriod(now: Date, validityHours: number, renewWithinDays: number): number {
  return Math.floor(now.getTime() / periodMs(validityHours, renewWithinDays));
}

/** When renewal period `period` starts. */
export function renewalPeriodStart(period: number, validityHours: number, renewWithinDays: number): Date {
  return new Date(period * periodMs(validityHours, renewWithinDays));
}

/**
 * A leaf's generation, `epoch-<epoch>.renewal-<period>`: the subject OU and the key's replacement trigger of every
 * leaf of a stack (Docker mTLS leaves and the sandbox service's HTTPS leaf), so a new epoch or a new renewal period
 * re-issues them all on the next `pulumi up`.
 */
export function leafGeneration(options: { epoch?: number; validityHours: number; renewWithinDays?: number; now?: Date }): string {
  const window = options.renewWithinDays ?? defaultRenewWithinDays(options.validityHours);
  return `epoch-${options.epoch ?? 0}.renewal-${renewalPeriod(options.now ?? new Date(), options.validityHours, window)}`;
}
