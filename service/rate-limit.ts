/**
 * Requests per second per API key: a token bucket per key, in memory (a restart refills every bucket, which is
 * harmless). Burst is two seconds' worth, so a client that paces itself at the limit never sees a 429.
 */
export class RequestRateLimiter {
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly now: () => number = () => performance.now()) {}

  /** Takes one token; false when the key is over its rate. */
  take(keyId: string, perSecond: number): boolean {
    const now = this.now();
    const capacity = Math.max(1, perSecond * 2);
    const bucket = this.#buckets.get(keyId) ?? { tokens: capacity, at: now };
    bucket.tokens = Math.min(capacity, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
    this.#buckets.set(keyId, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
