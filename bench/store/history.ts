/** The task history the store benchmark inserts, and the window query it runs over it. */
import { sql } from 'kysely';

/** Task history spread over ~30 days, one in ten failed, eight task types. */
export function historySql(rows: number) {
  return sql`
    insert into task_executions
      (task_id, type, goal_id, status, error_class, error_message, started_at, finished_at, duration_ms)
    select 'task-' || i,
           (array['build','test','lint','deploy','fetch','plan','merge','review'])[1 + i % 8],
           'goal-' || (i % 1000),
           case when i % 10 = 0 then 'failed' else 'succeeded' end,
           case when i % 10 = 0 then 'TimeoutError' end,
           case when i % 10 = 0 then 'timed out after 30 s' end,
           now() - i * interval '2.6 seconds' - interval '1 second',
           now() - i * interval '2.6 seconds',
           1000 + i % 5000
    from generate_series(1, ${rows}::int) as i`;
}

export const windowSql = sql<{ type: string; count: string | number }>`
  select type, count(*) from task_executions
  where status = 'failed' and finished_at > now() - interval '24 hours'
  group by type`;
