/**
 * Asks the task statechart what an event does to a stored task. The queue keeps rows, not
 * live actors, so it rebuilds the row's snapshot and runs XState's pure `transition()`:
 * retry rules and backoff are decided by machines/task.ts and nowhere else.
 */
import { transition } from 'xstate';
import { taskMachine, type BackoffPolicy, type TaskContext, type TaskEvent, type TaskStatus } from '../../machines/task.ts';
import { TetherError } from '../errors.ts';

/** The stored fields the machine reads. */
export interface TaskState {
  id: string;
  status: string;
  attempts: number;
  maxAttempts: number;
}

export interface TaskDecision {
  status: TaskStatus;
  context: TaskContext;
}

const STATUSES: ReadonlySet<string> = new Set(['queued', 'running', 'succeeded', 'failed']);

/** The next status and context, or INVALID_TRANSITION when the state does not accept the event. */
export function decideTransition(task: TaskState, event: TaskEvent, backoff: BackoffPolicy): TaskDecision {
  if (!STATUSES.has(task.status)) {
    throw new TetherError('INVALID_TRANSITION', `Task ${task.id} has an unknown status "${task.status}".`, { taskId: task.id, status: task.status });
  }
  const snapshot = taskMachine.resolveState({
    value: task.status,
    context: { attempts: task.attempts, maxAttempts: task.maxAttempts, backoff, retryDelayMs: null, error: null },
  });
  const [next] = transition(taskMachine, snapshot, event);
  // An event the state does not accept leaves the snapshot as it was.
  if (next === snapshot || (next.value === snapshot.value && next.context === snapshot.context)) {
    throw new TetherError('INVALID_TRANSITION', `Task ${task.id} is ${task.status}: ${event.type} does not apply.`, {
      taskId: task.id,
      status: task.status,
      event: event.type,
    });
  }
  return { status: next.value as TaskStatus, context: next.context };
}
