/**
 * Per-endpoint back-off for creates that keep failing (a full disk, a missing image, a broken runtime), so the
 * pool does not spin on them as generic-pool does (node-pool#175). Closed -> after `failureThreshold`
 * consecutive failures open for `baseBackoffMs * 2^(failures - threshold)` (capped at `maxBackoffMs`) ->
 * half-open when that passes (one trial create) -> closed on success, open longer on failure.
 *
 * Time is passed in (`now`), so the logic is tested without sleeping.
 */
export interface CircuitBreakerSettings {
  failureThreshold: number;
  baseBackoffMs: number;
  maxBackoffMs: number;
}

export type CircuitState = "closed" | "open" | "half-open";

export class CreateCircuitBreaker {
  private consecutiveFailures = 0;
  private openUntil = 0;
  private trialInFlight = false;
  /** The last failure, for error messages ("backing off after: ..."). */
  lastError: unknown;

  constructor(private readonly settings: CircuitBreakerSettings) {}

  state(now: number): CircuitState {
    if (this.consecutiveFailures < this.settings.failureThreshold) return "closed";
    return now < this.openUntil ? "open" : "half-open";
  }

  /** Whether a create may start now; in half-open state only one trial at a time. */
  allows(now: number): boolean {
    const state = this.state(now);
    return state === "closed" || (state === "half-open" && !this.trialInFlight);
  }

  /** Call when a create starts (marks the half-open trial). */
  onStart(now: number): void {
    if (this.state(now) === "half-open") this.trialInFlight = true;
  }

  /** A create called off before it reached the endpoint (no verdict on the endpoint either way). */
  onCancel(): void {
    this.trialInFlight = false;
  }

  onSuccess(): void {
    this.consecutiveFailures = 0;
    this.openUntil = 0;
    this.trialInFlight = false;
    this.lastError = undefined;
  }

  onFailure(now: number, error?: unknown): void {
    this.trialInFlight = false;
    this.lastError = error;
    this.consecutiveFailures += 1;
    const over = this.consecutiveFailures - this.settings.failureThreshold;
    if (over >= 0) {
      this.openUntil = now + this.backoffMs(over);
    }
  }

  /** Back-off after `over` failures beyond the threshold (0 = just reached it). */
  backoffMs(over: number): number {
    return Math.min(this.settings.maxBackoffMs, this.settings.baseBackoffMs * 2 ** Math.min(over, 30));
  }

  /** When the breaker next allows a trial (0 when closed). */
  retryAt(): number {
    return this.consecutiveFailures >= this.settings.failureThreshold ? this.openUntil : 0;
  }

  get failures(): number {
    return this.consecutiveFailures;
  }
}
