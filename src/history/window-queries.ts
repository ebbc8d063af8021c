/**
 * Window queries over task history, in database time (`now()`, UTC), so every process
 * sharing the store agrees on what "the last 24 hours" holds whatever its own clock says.
 * Each query is restricted to the task types a caller names and served by the
 * (type, status, finished_at) index: its cost follows the window's contents, not the
 * length of the whole history.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** What arrived since a watermark: the types that ran, and the highest id read. */
export interface NewExecutions {
  /** The highest execution id seen; the watermark itself when nothing is new. */
  high: number;
  /** Number of executions read. */
  rows: number;
  types: Array<{ type: string; failed: number; succeeded: number }>;
}

/** Summarizes executions with an id above `watermark`: a range scan over new rows only. */
export async function executionsSince(db: Db, watermark: number): Promise<NewExecutions> {
  const result = await sql<{ type: string; failed: string; succeeded: string; high: string }>`
    select type,
           count(*) filter (where status = 'failed') as failed,
           count(*) filter (where status = 'succeeded') as succeeded,
           max(id) as high
      from task_executions
     where id > ${watermark}
     group by type
     order by type`.execute(db);
  let high = watermark;
  let rows = 0;
  const types = result.rows.map((r) => {
    high = Math.max(high, Number(r.high));
    const failed = Number(r.failed);
    const succeeded = Number(r.succeeded);
    rows += failed + succeeded;
    return { type: r.type, failed, succeeded };
  });
  return { high, rows, types };
}

/** One task type's failures within the window. */
export interface FailureWindow {
  type: string;
  /** All failures of the type in the window. */
  count: number;
  firstSeen: Date;
  lastSeen: Date;
  /** The most frequent raw error messages with their counts, most frequent first. */
  messages: Array<{ message: string; errorClass: string | null; count: number }>;
}

export interface FailureWindowOptions {
  /** Window length in hours (default 24). */
  hours?: number;
  /** At most this many distinct raw messages per type are returned (default 200). */
  messageLimit?: number;
}

/** Failures per type within the last `hours`, for the named types only. */
export async function failureWindows(db: Db, types: string[], options: FailureWindowOptions = {}): Promise<FailureWindow[]> {
  if (types.length === 0) return [];
  const hours = options.hours ?? 24;
  const limit = options.messageLimit ?? 200;
  // Totals and first/last are computed over every message group before the per-type cap,
  // so a capped message list never makes the count wrong.
  const result = await sql<{
    type: string;
    error_message: string | null;
    error_class: string | null;
    n: string;
    total: string;
    first_seen: Date;
    last_seen: Date;
  }>`
    select type, error_message, error_class, n, total, first_seen, last_seen from (
      select type, error_message, max(error_class) as error_class, count(*) as n,
             sum(count(*)) over w as total,
             min(min(finished_at)) over w as first_seen,
             max(max(finished_at)) over w as last_seen,
             row_number() over (partition by type order by count(*) desc, error_message) as rn
        from task_executions
       where type = any(${types}::text[])
         and status = 'failed'
         and finished_at > now() - make_interval(hours => ${hours})
       group by type, error_message
      window w as (partition by type)
    ) g
    where rn <= ${limit}
    order by type, n desc, error_message`.execute(db);
  const byType = new Map<string, FailureWindow>();
  for (const r of result.rows) {
    let window = byType.get(r.type);
    if (!window) {
      window = {
        type: r.type,
        count: Number(r.total),
        firstSeen: new Date(r.first_seen),
        lastSeen: new Date(r.last_seen),
        messages: [],
      };
      byType.set(r.type, window);
    }
    window.messages.push({ message: r.error_message ?? '', errorClass: r.error_class, count: Number(r.n) });
  }
  return [...byType.values()];
}

/** Median durations of a type's successful runs: recent window against a baseline before it. */
export interface DurationWindow {
  type: string;
  recentP50: number | null;
  recentCount: number;
  baselineP50: number | null;
  baselineCount: number;
}

export interface DurationWindowOptions {
  /** The recent window in hours (default 24). */
  recentHours?: number;
  /** The baseline window, in hours, just before the recent one (default 7 × 24). */
  baselineHours?: number;
}

/** p50 durations of successful runs per type, recent window and baseline, in database time. */
export async function durationWindows(db: Db, types: string[], options: DurationWindowOptions = {}): Promise<DurationWindow[]> {
  if (types.length === 0) return [];
  const recent = options.recentHours ?? 24;
  const baseline = options.baselineHours ?? 7 * 24;
  const result = await sql<{
    type: string;
    recent_p50: number | null;
    recent_n: string;
    baseline_p50: number | null;
    baseline_n: string;
  }>`
    with w as (
      select type, duration_ms, finished_at > now() - make_interval(hours => ${recent}) as is_recent
        from task_executions
       where type = any(${types}::text[])
         and status = 'succeeded'
         and finished_at > now() - make_interval(hours => ${recent + baseline})
    )
    select type,
           percentile_cont(0.5) within group (order by duration_ms) filter (where is_recent) as recent_p50,
           count(*) filter (where is_recent) as recent_n,
           percentile_cont(0.5) within group (order by duration_ms) filter (where not is_recent) as baseline_p50,
           count(*) filter (where not is_recent) as baseline_n
      from w
     group by type
     order by type`.execute(db);
  return result.rows.map((r) => ({
    type: r.type,
    recentP50: r.recent_p50 === null ? null : Number(r.recent_p50),
    recentCount: Number(r.recent_n),
    baselineP50: r.baseline_p50 === null ? null : Number(r.baseline_p50),
    baselineCount: Number(r.baseline_n),
  }));
}

/**
 * Where a detector that has never scanned should start: just before the first execution
 * finished within the last `hours`, or at the newest id when nothing did. Every row that
 * can fall in its window has a higher id, so the first scan reads the window, not the
 * whole history. (`offset 0` keeps the planner on the finished_at index instead of walking
 * the primary key from the oldest id.)
 */
export async function startingWatermark(db: Db, hours: number): Promise<number> {
  const result = await sql<{ first: string | null; high: string | null }>`
    select (select min(id) from (
              select id from task_executions
               where finished_at > now() - make_interval(hours => ${hours})
              offset 0) as w) as first,
           (select max(id) from task_executions) as high`.execute(db);
  const row = result.rows[0];
  if (row?.first != null) return Number(row.first) - 1;
  return Number(row?.high ?? 0);
}
