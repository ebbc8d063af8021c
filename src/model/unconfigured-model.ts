/**
 * The model used when none is configured: every call fails with MODEL_NOT_CONFIGURED, so a
 * cognitive task fails like any other task (recorded in history) instead of the runtime
 * refusing to start: everything that needs no model still works.
 */
import { TetherError } from '../errors.ts';
import type { Model } from './model.ts';

export function unconfiguredModel(reason = 'No model is configured: set TETHER_MODEL_URL and TETHER_MODEL (and TETHER_MODEL_KEY if the endpoint needs one).'): Model {
  return {
    description: 'no model configured',
    configured: false,
    async complete() {
      throw new TetherError('MODEL_NOT_CONFIGURED', reason, { retryable: false });
    },
  };
}
