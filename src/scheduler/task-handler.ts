/**
 * Task handlers: the scheduler dispatches each leased task by its type to one of these.
 * CODE_* types are meant for the codeAccess actor and COGNITIVE for the model port; the
 * runtime wires them, the scheduler only looks them up.
 */
import type { LeasedTask } from './task-types.ts';

export interface TaskHandlerContext {
  /** Aborted when the lease is lost, the task times out or the scheduler stops. */
  signal: AbortSignal;
  /** The worker running the task. */
  workerId: string;
}

/** Runs one task; the resolved value is stored as the task's result (JSON). */
export type TaskHandler = (task: LeasedTask, context: TaskHandlerContext) => Promise<unknown>;

/**
 * Handlers by task type. A key ending in `*` serves every type with that prefix
 * (`CODE_*`); an exact key wins over a prefix, a longer prefix over a shorter one.
 */
export type TaskHandlers = Readonly<Record<string, TaskHandler>>;

export function resolveHandler(handlers: TaskHandlers, type: string): TaskHandler | undefined {
  if (Object.hasOwn(handlers, type)) return handlers[type];
  let best: string | undefined;
  for (const key of Object.keys(handlers)) {
    if (!key.endsWith('*')) continue;
    const prefix = key.slice(0, -1);
    if (type.startsWith(prefix) && (best === undefined || prefix.length > best.length - 1)) best = key;
  }
  return best === undefined ? undefined : handlers[best];
}
