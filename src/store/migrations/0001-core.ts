/** The core schema: goals, tasks and their history, plans, modifications, approvals. */
import { sql, type Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('goals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('proposal_id', 'text')
    .addColumn('auto_approved', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('evidence', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('fingerprint', 'text')
    .addColumn('detector', 'text')
    .addColumn('confidence', 'double precision')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('goals_status').on('goals').columns(['status']).execute();
  await db.schema.createIndex('goals_fingerprint').on('goals').columns(['fingerprint']).execute();
  await db.schema.createIndex('goals_source_created').on('goals').columns(['source', 'created_at']).execute();

  await db.schema
    .createTable('goal_proposals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('detector', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('confidence', 'double precision', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('goal_id', 'text')
    .addColumn('finding', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('goal_proposals_fp').on('goal_proposals').columns(['fingerprint', 'created_at']).execute();

  await db.schema
    .createTable('tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('goal_id', 'text')
    .addColumn('plan_id', 'text')
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('payload', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull().defaultTo(3))
    .addColumn('run_after', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'timestamptz')
    .addColumn('result', 'jsonb')
    .addColumn('error', 'jsonb')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('tasks_ready').on('tasks').columns(['status', 'priority', 'run_after']).execute();

  await db.schema
    .createTable('task_executions')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('task_id', 'text', (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('goal_id', 'text')
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error_class', 'text')
    .addColumn('error_message', 'text')
    .addColumn('started_at', 'timestamptz', (c) => c.notNull())
    .addColumn('finished_at', 'timestamptz', (c) => c.notNull())
    .addColumn('duration_ms', 'double precision', (c) => c.notNull())
    .execute();
  // Window queries: failures of a type within the last 24 hours.
  await db.schema
    .createIndex('task_executions_window')
    .on('task_executions')
    .columns(['type', 'status', 'finished_at'])
    .execute();
  await db.schema.createIndex('task_executions_finished').on('task_executions').columns(['finished_at']).execute();

  await db.schema
    .createTable('plans')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('goal_id', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('steps', 'jsonb', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable('modifications')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('goal_id', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('author', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('branch', 'text', (c) => c.notNull().unique())
    .addColumn('target_ref', 'text', (c) => c.notNull())
    .addColumn('base_commit', 'text')
    .addColumn('head_commit', 'text')
    .addColumn('merge_commit', 'text')
    .addColumn('changes', 'jsonb', (c) => c.notNull())
    .addColumn('files', 'jsonb', (c) => c.notNull())
    .addColumn('test_result', 'jsonb')
    .addColumn('conflict_paths', 'jsonb')
    .addColumn('error', 'jsonb')
    .addColumn('expires_at', 'timestamptz')
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema.createIndex('modifications_state').on('modifications').columns(['state']).execute();
  await db.schema.createIndex('modifications_goal').on('modifications').columns(['goal_id']).execute();

  await db.schema
    .createTable('modification_history')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('modification_id', 'text', (c) => c.notNull())
    .addColumn('from_state', 'text')
    .addColumn('to_state', 'text', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex('modification_history_mod')
    .on('modification_history')
    .columns(['modification_id', 'id'])
    .execute();

  await db.schema
    .createTable('approvals')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('subject_kind', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('approver', 'text', (c) => c.notNull())
    .addColumn('head_commit', 'text')
    .addColumn('comment', 'text')
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // One decision per subject: racing approvals cannot both be recorded.
  await db.schema
    .createIndex('approvals_one_decision')
    .on('approvals')
    .columns(['subject_kind', 'subject_id'])
    .unique()
    .execute();

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('principal', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('response', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['principal', 'key'])
    .execute();

  await db.schema
    .createTable('detector_watermarks')
    .addColumn('detector', 'text', (c) => c.primaryKey())
    .addColumn('watermark', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'detector_watermarks',
    'idempotency_keys',
    'approvals',
    'modification_history',
    'modifications',
    'plans',
    'task_executions',
    'tasks',
    'goal_proposals',
    'goals',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
