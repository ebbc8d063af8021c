/** How the HTTP edge is hardened; every limit has a default and can be set by embedders. */

export interface RateLimitOptions {
  /** Requests a principal may make at once before waiting (the bucket's size). */
  burst: number;
  /** Requests per second added back to the bucket. */
  perSecond: number;
}

export interface HttpOptions {
  /** Largest request body accepted, in bytes (default 2 MiB); larger ones get 413. */
  bodyLimitBytes?: number;
  /** Per-token (or per-address without a token) limit; `false` turns it off. */
  rateLimit?: RateLimitOptions | false;
  /** Origins other than the server's own allowed to send writes (e.g. a proxy's). */
  allowedOrigins?: string[];
  /** Time for the rate limiter, in ms (tests inject a simulated clock). */
  now?: () => number;
}

export const DEFAULT_BODY_LIMIT_BYTES = 2 * 1024 * 1024;
export const DEFAULT_RATE_LIMIT: RateLimitOptions = { burst: 120, perSecond: 20 };
