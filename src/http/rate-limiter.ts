/**
 * A token bucket per key (token name, or address without a token), in memory: a burst of
 * `burst` requests, refilled at `perSecond`. The number of buckets is capped so a stream of
 * new keys cannot grow memory without bound (the least recently touched bucket goes).
 */
import type { RateLimitOptions } from './http-options.ts';

interface Bucket {
  tokens: number;
  at: number;
}

export type Take = { ok: true } | { ok: false; retryAfterSeconds: number };

const MAX_BUCKETS = 10_000;

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #options: RateLimitOptions;
  readonly #now: () => number;

  constructor(options: RateLimitOptions, now: () => number = Date.now) {
    this.#options = options;
    this.#now = now;
  }

  take(key: string): Take {
    const now = this.#now();
    const { burst, perSecond } = this.#options;
    const bucket = this.#buckets.get(key) ?? { tokens: burst, at: now };
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) / 1000) * perSecond);
    bucket.at = now;
    // Re-inserting keeps the Map in least-recently-used order for eviction.
    this.#buckets.delete(key);
    this.#buckets.set(key, bucket);
    if (this.#buckets.size > MAX_BUCKETS) this.#buckets.delete(this.#buckets.keys().next().value!);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { ok: true };
    }
    return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - bucket.tokens) / perSecond)) };
  }
}
