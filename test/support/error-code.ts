/** The TetherError code a promise rejects with, or 'none' if it resolves; other errors propagate. */
import { TetherError, type ErrorCode } from '../../src/errors.ts';

export async function rejectionCode(promise: Promise<unknown>): Promise<ErrorCode | 'none'> {
  try {
    await promise;
    return 'none';
  } catch (error) {
    if (error instanceof TetherError) return error.code;
    throw error;
  }
}
