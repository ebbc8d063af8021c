/**
 * Turns whatever a handler threw into the error task history stores: a class (the
 * TetherError code, or the Error's name) and a message, and whether retrying can help.
 * Configuration, validation and policy errors cannot: the task fails at once instead of
 * filling history with identical failures.
 */
import { ERROR_STATUS, TetherError } from '../errors.ts';
import type { TaskErrorInfo } from './task-types.ts';

const PERMANENT_STATUSES: ReadonlySet<number> = new Set([400, 401, 403, 413, 422]);

export function describeFailure(error: unknown): TaskErrorInfo {
  if (error instanceof TetherError) {
    const explicit = error.data.retryable;
    const permanent = PERMANENT_STATUSES.has(ERROR_STATUS[error.code]) || error.code === 'MODEL_NOT_CONFIGURED';
    return { class: error.code, message: error.message, retryable: typeof explicit === 'boolean' ? explicit : !permanent };
  }
  if (error instanceof Error) {
    const name = error.name && error.name !== 'Error' ? error.name : error.constructor?.name || 'Error';
    return { class: name, message: error.message || String(error), retryable: true };
  }
  return { class: 'NonError', message: typeof error === 'string' ? error : JSON.stringify(error) ?? String(error), retryable: true };
}
