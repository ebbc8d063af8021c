/**
 * Goals: listed, read, proposed by a person or an agent, and decided by a person. A
 * person's goal (approver token) starts active; an agent's is a collaborative proposal
 * that waits for a person's approval.
 */
import { z } from 'zod';
import { approveGoal, createGoal, getGoal, inTransaction, listGoals, rejectGoal, type GoalStatus } from '../../goals/goal-store.ts';
import { commitAnswer } from '../idempotency.ts';
import type { AppContext } from '../app-context.ts';
import type { HttpEnv } from '../principal.ts';
import { defineRoute, type AnyRoute } from '../route.ts';
import { DecisionBody, GoalListQuery, GoalSchema, IdParams, NewGoalBody } from '../schemas.ts';
import type { Context } from 'hono';

function who(c: Context<HttpEnv>) {
  // authorize() has run: writes always carry a principal.
  return c.get('principal')!;
}

export function goalRoutes(ctx: AppContext): AnyRoute[] {
  const db = ctx.services.store.db;
  return [
    defineRoute({
      method: 'GET',
      path: '/api/goals',
      summary: 'Goals, newest first (filter ?status=).',
      tag: 'goals',
      access: 'read',
      query: GoalListQuery,
      response: z.object({ goals: z.array(GoalSchema) }),
      async handle(c, { query }) {
        const goals = await listGoals(db, { status: query.status as GoalStatus | undefined, limit: query.limit ?? 100, offset: query.offset ?? 0 });
        return c.json({ goals });
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/goals/:id',
      summary: 'One goal.',
      tag: 'goals',
      access: 'read',
      params: IdParams,
      response: GoalSchema,
      errors: ['NOT_FOUND'],
      async handle(c, { params }) {
        return c.json(await getGoal(db, params.id));
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/api/goals',
      summary: "A person's goal (active) or an agent's (proposed, waiting for a person).",
      tag: 'goals',
      access: 'submit',
      body: NewGoalBody,
      status: 201,
      response: GoalSchema,
      idempotent: true,
      errors: ['UNSUPPORTED_MEDIA_TYPE', 'ORIGIN_FORBIDDEN', 'BODY_TOO_LARGE', 'IDEMPOTENCY_KEY_REUSED'],
      async handle(c, { body }) {
        const principal = who(c);
        const person = principal.role === 'approver';
        const goal = await inTransaction(db, async (trx) => {
          const created = await createGoal(trx, {
            title: body.title,
            description: body.description ?? '',
            kind: body.kind ?? 'request',
            source: person ? 'user' : 'collaborative',
            createdBy: principal.name,
            status: person ? 'active' : 'proposed',
          });
          await commitAnswer(trx, c.get('idempotency'), created);
          return created;
        });
        return c.json(goal, 201);
      },
    }),
    ...(['approve', 'reject'] as const).map((verb) =>
      defineRoute({
        method: 'POST',
        path: `/api/goals/:id/${verb}`,
        summary: `A person ${verb}s a proposed goal.`,
        tag: 'goals',
        access: 'decide',
        params: IdParams,
        body: DecisionBody,
        response: GoalSchema,
        idempotent: true,
        errors: ['NOT_FOUND', 'INVALID_TRANSITION', 'UNSUPPORTED_MEDIA_TYPE', 'ORIGIN_FORBIDDEN', 'IDEMPOTENCY_KEY_REUSED'],
        async handle(c, { params, body }) {
          const decision = { approver: who(c).name, ...(body.comment ? { comment: body.comment } : {}) };
          const goal = await inTransaction(db, async (trx) => {
            const decided = verb === 'approve' ? await approveGoal(trx, params.id, decision) : await rejectGoal(trx, params.id, decision);
            await commitAnswer(trx, c.get('idempotency'), decided);
            return decided;
          });
          return c.json(goal);
        },
      }),
    ),
  ];
}
