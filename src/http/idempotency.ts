/**
 * `Idempotency-Key` for decisions. The first request with a key claims it (a row with
 * status 0) before running, so concurrent retries wait for it instead of racing it; its
 * response (any status below 500) is stored and every replay with the same body gets it
 * again. The same key with another body is 422 IDEMPOTENCY_KEY_REUSED. A 5xx releases the
 * key so the client may retry. Keys are scoped to the token's name.
 */
import { createHash } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { Kysely } from 'kysely';
import { TetherError } from '../errors.ts';
import { canonicalJson } from '../ledger/canonical-json.ts';
import type { Database } from '../store/schema.ts';
import type { HttpEnv } from './principal.ts';

const KEY_PATTERN = /^[\x21-\x7e]{1,200}$/;
const WAIT_MS = 10_000;

async function requestHash(c: Context<HttpEnv>): Promise<string> {
  const text = await c.req.text();
  let body = text;
  try {
    body = canonicalJson(JSON.parse(text));
  } catch {
    // not JSON: the validator answers; hash the text as it came
  }
  return createHash('sha256').update(`${c.req.method} ${c.req.path}\n${body}`).digest('hex');
}

function replay(c: Context<HttpEnv>, row: { status: number; response: unknown }): Response {
  return c.json(row.response as object, row.status as 200, { 'Idempotency-Replayed': 'true' });
}

export function idempotency(db: Kysely<Database>): MiddlewareHandler<HttpEnv> {
  return async (c, next) => {
    const key = c.req.header('idempotency-key');
    if (key === undefined) return next();
    if (!KEY_PATTERN.test(key)) {
      throw new TetherError('VALIDATION_FAILED', 'Idempotency-Key must be 1–200 printable ASCII characters.');
    }
    const principal = c.get('principal')?.name ?? 'anonymous';
    const hash = await requestHash(c);
    const claimed = await db
      .insertInto('idempotency_keys')
      .values({ key, principal, request_hash: hash, status: 0, response: 'null' })
      .onConflict((oc) => oc.columns(['principal', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    if (!claimed) {
      const deadline = Date.now() + WAIT_MS;
      for (;;) {
        const row = await db
          .selectFrom('idempotency_keys')
          .select(['request_hash', 'status', 'response'])
          .where('principal', '=', principal)
          .where('key', '=', key)
          .executeTakeFirst();
        if (row && row.request_hash !== hash) {
          throw new TetherError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used with another request body.', { key });
        }
        if (row && row.status > 0) return replay(c, row);
        if (!row || Date.now() > deadline) {
          throw new TetherError('INVALID_TRANSITION', 'A request with this Idempotency-Key is still running; retry shortly.', { key });
        }
        await new Promise((r) => setTimeout(r, 25));
      }
    }
    try {
      await next();
    } finally {
      const status = c.res.status;
      if (status >= 500) {
        await db.deleteFrom('idempotency_keys').where('principal', '=', principal).where('key', '=', key).execute();
      } else {
        const body = await c.res.clone().json().catch(() => null);
        await db
          .updateTable('idempotency_keys')
          .set({ status, response: JSON.stringify(body) })
          .where('principal', '=', principal)
          .where('key', '=', key)
          .execute();
      }
    }
  };
}
