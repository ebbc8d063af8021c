/**
 * CSRF protection for writes. A browser sends `Origin` with every cross-origin write: one
 * that is neither this server's own nor an allowed origin is refused, as is a request
 * its browser marks `Sec-Fetch-Site: cross-site`. And a write's body must be JSON, which a
 * plain HTML form can never send, so a forged form post fails before any handler runs.
 */
import type { MiddlewareHandler } from 'hono';
import { HttpError } from './http-error.ts';
import type { HttpEnv } from './principal.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

function ownHost(url: string, hostHeader: string | undefined): string {
  if (hostHeader) return hostHeader.toLowerCase();
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return '';
  }
}

function originAllowed(origin: string, host: string, allowed: readonly string[]): boolean {
  if (allowed.includes(origin)) return true;
  try {
    return new URL(origin).host.toLowerCase() === host;
  } catch {
    return false;
  }
}

export function guardWrites(allowedOrigins: readonly string[]): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const origin = c.req.header('origin');
    const host = ownHost(c.req.url, c.req.header('host'));
    if (origin !== undefined && !originAllowed(origin, host, allowedOrigins)) {
      throw new HttpError('ORIGIN_FORBIDDEN', 'Writes from another origin are refused.');
    }
    if (origin === undefined && c.req.header('sec-fetch-site') === 'cross-site') {
      throw new HttpError('ORIGIN_FORBIDDEN', 'Cross-site writes are refused.');
    }
    if (c.req.raw.body !== null) {
      const mediaType = (c.req.header('content-type') ?? '').split(';')[0]!.trim();
      if (!JSON_MEDIA_TYPE.test(mediaType)) {
        throw new HttpError('UNSUPPORTED_MEDIA_TYPE', 'Send the body as JSON (Content-Type: application/json).');
      }
    }
    return next();
  };
}
