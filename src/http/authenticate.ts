/**
 * Finds the caller from `Authorization: Bearer <token>` and spends one request from their
 * rate-limit bucket, before anything else reads the request. An unknown or malformed token
 * is noted, not refused here: public routes ignore it, the route's `authorize` refuses it.
 * Limiting before refusing also bounds how many refusal entries a flood can write.
 */
import type { MiddlewareHandler } from 'hono';
import { TetherError } from '../errors.ts';
import type { HttpEnv, Principal, AuthFailure } from './principal.ts';
import type { RateLimiter } from './rate-limiter.ts';
import type { TokenVerifier } from './token-verifier.ts';

/** The peer address when the runtime adapter exposes one (Node's IncomingMessage). */
function peerAddress(env: unknown): string {
  const incoming = (env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'unknown';
}

function identify(header: string | undefined, tokens: TokenVerifier): { principal?: Principal; failure?: AuthFailure } {
  if (header === undefined || header === '') return { failure: 'missing' };
  const match = /^Bearer[ ]+([\x21-\x7e]{1,512})[ ]*$/i.exec(header);
  if (!match) return { failure: 'malformed' };
  const principal = tokens.verify(match[1]!);
  return principal ? { principal } : { failure: 'invalid' };
}

export function authenticate(tokens: TokenVerifier, limiter: RateLimiter | undefined): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    const { principal, failure } = identify(c.req.header('authorization'), tokens);
    c.set('principal', principal);
    c.set('authFailure', failure);
    if (limiter && c.req.path.includes('/api/')) {
      const key = principal ? `token:${principal.name}` : `peer:${peerAddress(c.env)}`;
      const taken = limiter.take(key);
      if (!taken.ok) {
        throw new TetherError('RATE_LIMITED', `Too many requests: try again in ${taken.retryAfterSeconds} s.`, {
          retryAfterSeconds: taken.retryAfterSeconds,
        });
      }
    }
    await next();
  };
}
