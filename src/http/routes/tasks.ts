/** Tasks: queued, running and finished, newest first (filter ?status=, ?goalId=). */
import { z } from 'zod';
import type { TaskRow } from '../../store/schema.ts';
import type { AppContext } from '../app-context.ts';
import { defineRoute, type AnyRoute } from '../route.ts';
import { LooseObject, TaskListQuery } from '../schemas.ts';

const TaskSchema = z.object({
  id: z.string(),
  goalId: z.string().nullable(),
  planId: z.string().nullable(),
  type: z.string(),
  status: z.string(),
  priority: z.number(),
  attempts: z.number(),
  maxAttempts: z.number(),
  payload: LooseObject,
  result: z.unknown(),
  error: LooseObject.nullable(),
  runAfter: z.string(),
  leaseOwner: z.string().nullable(),
  leaseExpiresAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

function toTask(row: TaskRow) {
  return {
    id: row.id,
    goalId: row.goal_id,
    planId: row.plan_id,
    type: row.type,
    status: row.status,
    priority: row.priority,
    attempts: row.attempts,
    maxAttempts: row.max_attempts,
    payload: row.payload,
    result: row.result,
    error: row.error,
    runAfter: row.run_after,
    leaseOwner: row.lease_owner,
    leaseExpiresAt: row.lease_expires_at,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function taskRoutes(ctx: AppContext): AnyRoute[] {
  const db = ctx.services.store.db;
  return [
    defineRoute({
      method: 'GET',
      path: '/api/tasks',
      summary: 'Queued, running and finished tasks, newest first.',
      tag: 'tasks',
      access: 'read',
      query: TaskListQuery,
      response: z.object({ tasks: z.array(TaskSchema) }),
      async handle(c, { query }) {
        let q = db.selectFrom('tasks').selectAll().orderBy('created_at', 'desc').orderBy('id', 'desc');
        if (query.status) q = q.where('status', '=', query.status);
        if (query.goalId) q = q.where('goal_id', '=', query.goalId);
        const rows = await q.limit(query.limit ?? 100).offset(query.offset ?? 0).execute();
        return c.json({ tasks: rows.map(toTask) });
      },
    }),
  ];
}
