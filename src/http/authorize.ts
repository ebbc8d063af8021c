/**
 * A route's access check. Every refusal is answered (401 without a valid token, 403
 * ROLE_FORBIDDEN with the wrong role) and written to the ledger as `auth.refused` with the
 * token's name (never its secret). Without configured tokens, reads are open and writes
 * are off, and the refusal says how to turn them on.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { Kysely } from 'kysely';
import { TetherError } from '../errors.ts';
import { appendEntry } from '../ledger/append-entry.ts';
import { logger } from '../log.ts';
import type { Database } from '../store/schema.ts';
import { ACCESS_NEEDS, ACCESS_ROLES, type Access } from './access.ts';
import { errorBody } from './error-response.ts';
import type { HttpEnv } from './principal.ts';
import type { TokenVerifier } from './token-verifier.ts';

export const NO_TOKENS_MESSAGE =
  'No tokens are configured, so writes are off. Set TETHER_TOKENS=name:role:secret,… (roles viewer, approver, agent; secrets of 16+ characters) and restart.';

/** Control characters and lone surrogates cannot go into the ledger's jsonb. */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]|[\uD800-\uDFFF]/gu, '?').slice(0, 300);
}

async function refuse(c: Context<HttpEnv>, db: Kysely<Database>, error: TetherError, details: Record<string, unknown>): Promise<Response> {
  const principal = c.get('principal');
  try {
    await appendEntry(db, {
      actor: principal?.name ?? 'anonymous',
      type: 'auth.refused',
      payload: { code: error.code, method: c.req.method, path: printable(c.req.path), ...details },
    });
  } catch (cause) {
    logger('http').warning('Could not record an auth refusal: {cause}', { cause: String(cause) });
  }
  const headers: Record<string, string> = error.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="tether"' } : {};
  return c.json(errorBody(error), error.status as 401, headers);
}

export function authorize(access: Access, tokens: TokenVerifier, db: Kysely<Database>): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    if (access === 'public') return next();
    const principal = c.get('principal');
    if (!tokens.configured) {
      if (access === 'read') return next();
      return refuse(c, db, new TetherError('UNAUTHORIZED', NO_TOKENS_MESSAGE), { reason: 'no-tokens' });
    }
    if (!principal) {
      const failure = c.get('authFailure') ?? 'missing';
      const message =
        failure === 'missing' ? 'Send Authorization: Bearer <token>.' : 'The bearer token is not valid.';
      return refuse(c, db, new TetherError('UNAUTHORIZED', message), { reason: failure });
    }
    if (!ACCESS_ROLES[access].includes(principal.role)) {
      const error = new TetherError('ROLE_FORBIDDEN', `${principal.name} has the ${principal.role} role; this needs ${ACCESS_NEEDS[access]}.`, {
        role: principal.role,
      });
      return refuse(c, db, error, { reason: 'role', role: principal.role, needs: access });
    }
    return next();
  };
}
