/**
 * Modifications: listed, read with their history, diffed, submitted by an agent or a
 * person (the token's name is the author), and decided by a person. Path policy is checked
 * before the 201; branching and testing go on afterwards. An approval names the head it
 * approves (or takes the tested one) and honours Idempotency-Key.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { getModification, history, listModifications } from '../../code-access/modification-store.ts';
import type { FileChange } from '../../git/commit-changes.ts';
import type { AppContext } from '../app-context.ts';
import { diffFiles } from '../diff-files.ts';
import type { HttpEnv } from '../principal.ts';
import { commitAnswer } from '../idempotency.ts';
import { defineRoute, type AnyRoute } from '../route.ts';
import {
  ApproveBody,
  DecisionBody,
  DiffSchema,
  HistorySchema,
  IdParams,
  ModificationListQuery,
  ModificationSchema,
  NewModificationBody,
} from '../schemas.ts';

function who(c: Context<HttpEnv>): string {
  return c.get('principal')!.name;
}

export function modificationRoutes(ctx: AppContext): AnyRoute[] {
  const db = ctx.services.store.db;
  const code = ctx.services.codeAccess;
  return [
    defineRoute({
      method: 'GET',
      path: '/api/modifications',
      summary: 'Modifications, newest first (filter ?state=, ?goalId=).',
      tag: 'modifications',
      access: 'read',
      query: ModificationListQuery,
      response: z.object({ modifications: z.array(ModificationSchema) }),
      async handle(c, { query }) {
        return c.json({ modifications: await listModifications(db, query) });
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/modifications/:id',
      summary: 'State, branch, base, head, files, test result and history.',
      tag: 'modifications',
      access: 'read',
      params: IdParams,
      response: ModificationSchema.extend({ history: HistorySchema }),
      errors: ['NOT_FOUND'],
      async handle(c, { params }) {
        const m = await getModification(db, params.id);
        return c.json({ ...m, history: await history(db, params.id) });
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/modifications/:id/diff',
      summary: 'The unified diff against the base, and the same as files and hunks.',
      tag: 'modifications',
      access: 'read',
      params: IdParams,
      response: DiffSchema,
      errors: ['NOT_FOUND'],
      async handle(c, { params }) {
        const m = await getModification(db, params.id);
        const diff = await code.diff(params.id);
        return c.json({ id: m.id, baseCommit: m.baseCommit, head: m.head, diff, files: diffFiles(diff) });
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/modifications',
      summary: 'Submit changes for a goal (without goalId a collaborative goal is created).',
      tag: 'modifications',
      access: 'submit',
      body: NewModificationBody,
      status: 201,
      response: ModificationSchema,
      idempotent: true,
      errors: [
        'NOT_FOUND',
        'INVALID_TRANSITION',
        'PATH_DENIED',
        'PATH_PROTECTED',
        'PATH_OUTSIDE_ROOT',
        'PATH_INVALID',
        'FILE_TOO_LARGE',
        'TOO_MANY_FILES',
        'PATCH_FAILED',
        'BRANCH_CAP',
        'BODY_TOO_LARGE',
        'IDEMPOTENCY_KEY_REUSED',
        'UNSUPPORTED_MEDIA_TYPE',
        'ORIGIN_FORBIDDEN',
      ],
      async handle(c, { body }) {
        const m = await code.submit({
          ...(body.goalId ? { goalId: body.goalId } : {}),
          title: body.title,
          ...(body.reason !== undefined ? { reason: body.reason } : {}),
          changes: body.changes as FileChange[],
          author: who(c),
        }, (trx, m) => commitAnswer(trx, c.get('idempotency'), m));
        return c.json(m, 201);
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/modifications/:id/approve',
      summary: 'A person approves a tested modification (at `head`, or the tested head); merging follows.',
      tag: 'modifications',
      access: 'decide',
      params: IdParams,
      body: ApproveBody,
      idempotent: true,
      response: ModificationSchema,
      errors: ['NOT_FOUND', 'INVALID_TRANSITION', 'SELF_APPROVAL_FORBIDDEN', 'STALE_APPROVAL', 'IDEMPOTENCY_KEY_REUSED', 'UNSUPPORTED_MEDIA_TYPE', 'ORIGIN_FORBIDDEN'],
      async handle(c, { params, body }) {
        const m = await code.decide(params.id, {
          kind: 'approve',
          by: who(c),
          ...(body.head ? { head: body.head } : {}),
          ...(body.comment ? { comment: body.comment } : {}),
        }, (trx, m) => commitAnswer(trx, c.get('idempotency'), m));
        return c.json(m);
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/modifications/:id/reject',
      summary: 'A person rejects a tested modification.',
      tag: 'modifications',
      access: 'decide',
      params: IdParams,
      body: DecisionBody,
      idempotent: true,
      response: ModificationSchema,
      errors: ['NOT_FOUND', 'INVALID_TRANSITION', 'IDEMPOTENCY_KEY_REUSED', 'UNSUPPORTED_MEDIA_TYPE', 'ORIGIN_FORBIDDEN'],
      async handle(c, { params, body }) {
        const m = await code.decide(params.id, { kind: 'reject', by: who(c), ...(body.comment ? { comment: body.comment } : {}) }, (trx, stored) =>
          commitAnswer(trx, c.get('idempotency'), stored),
        );
        return c.json(m);
      },
    }),
  ];
}
