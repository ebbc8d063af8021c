/**
 * The handlers of the code task types a plan schedules. Each reads what earlier steps
 * found from `payload.context` and returns what later steps need:
 * CODE_ANALYZE → { suspectFiles }, CODE_READ → { files }, CODE_MODIFY → { modificationId },
 * CODE_TEST → { tested: head } (waits until the branch's tests finish).
 */
import type { Kysely } from 'kysely';
import { TetherError } from '../errors.ts';
import type { Author } from '../author/author.ts';
import type { CodeAccess } from '../code-access/code-access.ts';
import { getGoal } from '../goals/goal-store.ts';
import type { TaskHandlers } from '../scheduler/task-handler.ts';
import type { Database } from '../store/schema.ts';

export interface CodeTaskDeps {
  db: Kysely<Database>;
  codeAccess: CodeAccess;
  author: Author;
  /** How long CODE_TEST waits for a branch's tests. */
  testWaitMs?: number;
}

type Context = Record<string, unknown>;

function contextOf(payload: Record<string, unknown>): Context {
  return (payload.context as Context | undefined) ?? {};
}

/** The texts that may name files: error messages, examples and descriptions in the evidence. */
export function evidenceTexts(evidence: Record<string, unknown>, description: string): string[] {
  const texts = [description];
  for (const e of (evidence.errors as unknown[] | undefined) ?? []) texts.push(String(e));
  for (const g of (evidence.errorGroups as { example?: string; message?: string }[] | undefined) ?? []) {
    if (g.example) texts.push(g.example);
  }
  return texts;
}

export function createCodeTaskHandlers(deps: CodeTaskDeps): TaskHandlers {
  return {
    async CODE_ANALYZE(task) {
      const goal = await getGoal(deps.db, String(task.goalId));
      const found = await deps.codeAccess.analyze(evidenceTexts(goal.evidence, goal.description));
      if (found.length === 0) throw new TetherError('NOT_FOUND', 'The evidence names no file of the repository.', { goal: goal.id });
      return { suspectFiles: found.map((f) => f.path) };
    },

    async CODE_READ(task) {
      const context = contextOf(task.payload);
      const paths = (task.payload.paths as string[] | undefined) ?? (context.suspectFiles as string[] | undefined) ?? [];
      if (paths.length === 0) throw new TetherError('VALIDATION_FAILED', 'CODE_READ needs paths.', { task: task.id });
      const files = [];
      for (const path of paths.slice(0, 5)) {
        const read = await deps.codeAccess.read(path, { actor: 'planner' });
        files.push({ path: read.path, content: read.content });
      }
      return { files };
    },

    async CODE_MODIFY(task, { signal }) {
      const context = contextOf(task.payload);
      const goal = await getGoal(deps.db, String(task.goalId));
      const files = (context.files as { path: string; content: string }[] | undefined) ?? [];
      const authored = await deps.author.propose(
        { goal: { id: goal.id, title: goal.title, description: goal.description, evidence: goal.evidence }, files },
        signal,
      );
      const m = await deps.codeAccess.submit({ goalId: goal.id, title: authored.title, reason: authored.reason, changes: authored.changes, author: deps.author.name });
      return { modificationId: m.id };
    },

    async CODE_TEST(task) {
      const id = String(contextOf(task.payload).modificationId ?? task.payload.modificationId ?? '');
      if (!id) throw new TetherError('VALIDATION_FAILED', 'CODE_TEST needs a modification.', { task: task.id });
      // Past `tested` counts too: a person may approve (even merge) before this task looks.
      const m = await deps.codeAccess.waitFor(id, ['tested', 'approved', 'merged', 'failed', 'abandoned', 'rejected', 'conflicted'], deps.testWaitMs ?? 15 * 60_000);
      const passed = m.testResult !== null && m.testResult.exitCode === 0 && !m.testResult.timedOut;
      if (!passed) {
        throw new TetherError('INVALID_TRANSITION', `Modification ${id} ended ${m.state}${m.error ? `: ${m.error.message}` : ''}.`, {
          modification: id,
          state: m.state,
        });
      }
      return { tested: m.head };
    },
  };
}
