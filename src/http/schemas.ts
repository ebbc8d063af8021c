/**
 * The API's shapes in zod: request schemas validate input (through @hono/zod-validator) and,
 * with the response schemas, become the OpenAPI document, so the two cannot drift apart.
 * Strings refuse NUL and lone surrogates: PostgreSQL cannot store them, and a malformed
 * request must be a 400, never a 500.
 */
import { z } from 'zod';
import { GOAL_STATUSES } from '../../machines/goal.ts';
import { MODIFICATION_STATES } from '../../machines/modification.ts';

const STORABLE = /^[^\u0000]*$/;
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** Text PostgreSQL can store, at most `max` characters. */
export function text(max: number) {
  return z
    .string()
    .max(max)
    .regex(STORABLE, 'must not contain NUL characters')
    .refine((s) => !LONE_SURROGATE.test(s), 'must be well-formed Unicode');
}

/** An id in a path or a reference: short, printable, no separators. */
export const Id = z.string().regex(/^[A-Za-z0-9_.:-]{1,128}$/, 'is not a valid id');
export const IdParams = z.object({ id: Id });
export const CommitId = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'must be a full commit id (40 or 64 hex digits)');

const Limit = z.coerce.number().int().min(1).max(1000).optional();
const Offset = z.coerce.number().int().min(0).max(1_000_000).optional();
const Filter = text(200).regex(/^[\x21-\x7e]*$/, 'must be printable ASCII');

export const ErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), data: z.record(z.string(), z.unknown()).optional() }),
});

// ---- goals

export const GoalStatusSchema = z.enum(GOAL_STATUSES as [string, ...string[]]);
export const GoalListQuery = z.object({ status: GoalStatusSchema.optional(), limit: Limit, offset: Offset });
export const NewGoalBody = z.object({
  title: text(200).min(1),
  description: text(10_000).optional(),
  kind: text(100).regex(/^[a-z0-9][a-z0-9.-]*$/, 'must be a lowercase word like fix-task-failure').optional(),
});
export const DecisionBody = z.object({ comment: text(2000).optional() });

export const GoalSchema = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string(),
  kind: z.string(),
  status: GoalStatusSchema,
  source: z.enum(['user', 'system', 'collaborative']),
  createdBy: z.string(),
  proposalId: z.string().nullable(),
  autoApproved: z.boolean(),
  priority: z.number(),
  confidence: z.number().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

// ---- modifications

export const ModificationStateSchema = z.enum(MODIFICATION_STATES);
export const ModificationListQuery = z.object({
  state: ModificationStateSchema.optional(),
  goalId: Id.optional(),
  limit: Limit,
  offset: Offset,
});

// Any string: the path policy refuses bad ones (NUL, empty, …) with their own code and a
// code.denied entry, which a schema error would hide.
const ChangePath = z.string().max(1024);
export const ChangeSchema = z.union([
  z.object({ path: ChangePath, content: text(10_000_000) }).strict(),
  z.object({ path: ChangePath, patch: text(10_000_000) }).strict(),
  z.object({ path: ChangePath, delete: z.literal(true) }).strict(),
]);
export const NewModificationBody = z.object({
  goalId: Id.optional(),
  title: text(200).min(1),
  reason: text(10_000).optional(),
  changes: z.array(ChangeSchema).min(1).max(1000),
});
export const ApproveBody = z.object({ comment: text(2000).optional(), head: CommitId.optional() });

export const TestResultSchema = z.object({
  exitCode: z.number().nullable(),
  durationMs: z.number(),
  outputTail: z.string(),
  timedOut: z.boolean(),
  command: z.string().nullable(),
});
export const ModificationSchema = z.object({
  id: z.string(),
  goalId: z.string(),
  title: z.string(),
  reason: z.string(),
  author: z.string(),
  state: ModificationStateSchema,
  branch: z.string(),
  targetRef: z.string(),
  baseCommit: z.string().nullable(),
  head: z.string().nullable(),
  mergeCommit: z.string().nullable(),
  files: z.array(z.string()),
  testResult: TestResultSchema.nullable(),
  conflictPaths: z.array(z.string()).nullable(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
  expiresAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export const HistorySchema = z.array(
  z.object({ from_state: z.string().nullable(), to_state: z.string(), event: z.string(), actor: z.string(), at: z.string() }),
);
export const DiffSchema = z.object({
  id: z.string(),
  baseCommit: z.string().nullable(),
  head: z.string().nullable(),
  diff: z.string(),
  files: z.array(
    z.object({
      oldPath: z.string().nullable(),
      newPath: z.string().nullable(),
      hunks: z.array(
        z.object({ oldStart: z.number(), oldLines: z.number(), newStart: z.number(), newLines: z.number(), lines: z.array(z.string()) }),
      ),
    }),
  ),
});

// ---- tasks, ledger, inspection

export const TaskListQuery = z.object({ status: Filter.optional(), goalId: Id.optional(), limit: Limit, offset: Offset });
export const LedgerQuery = z.object({
  after: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  limit: Limit,
  subject: Filter.optional(),
  type: Filter.optional(),
});
export const MachineParams = z.object({ name: z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'is not a machine name') });

export const LooseObject = z.record(z.string(), z.unknown());
