/**
 * The ledger: entries oldest first, a page at a time (`next` is the following page's
 * `after`), and a verification of the whole retained chain. A broken chain is a report
 * (`ok: false` with the first bad seq), not an error status.
 */
import { z } from 'zod';
import { readLedger } from '../../ledger/read-ledger.ts';
import { verifyLedger } from '../../ledger/verify-ledger.ts';
import type { AppContext } from '../app-context.ts';
import { defineRoute, type AnyRoute } from '../route.ts';
import { LedgerQuery, LooseObject } from '../schemas.ts';

const EntrySchema = z.object({
  seq: z.number(),
  at: z.string(),
  actor: z.string(),
  type: z.string(),
  subject: z.string().nullable(),
  subjects: z.record(z.string(), z.string()),
  payload: LooseObject,
  prev_hash: z.string(),
  hash: z.string(),
});

export function ledgerRoutes(ctx: AppContext): AnyRoute[] {
  const db = ctx.services.store.db;
  return [
    defineRoute({
      method: 'GET',
      path: '/api/ledger',
      summary: 'Ledger entries after ?after= (paged by ?limit=, filtered by ?subject= or ?type=).',
      tag: 'ledger',
      access: 'read',
      query: LedgerQuery,
      response: z.object({ entries: z.array(EntrySchema), next: z.number().nullable() }),
      async handle(c, { query }) {
        return c.json(await readLedger(db, query));
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/ledger/verify',
      summary: 'Verifies the retained chain, its seals and its head.',
      tag: 'ledger',
      access: 'read',
      response: z.union([
        z.object({ ok: z.literal(true), checked: z.number(), headSeq: z.number(), firstSeq: z.number(), seals: z.number() }),
        z.object({ ok: z.literal(false), code: z.string(), seq: z.number(), message: z.string() }),
      ]),
      async handle(c) {
        // One snapshot: a prune committing midway must not look like a gap in the chain.
        return c.json(await verifyLedger(db));
      },
    }),
  ];
}
