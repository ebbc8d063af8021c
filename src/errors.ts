/**
 * Every failure Tether reports carries a literal `code`, a human message and serializable
 * `data`, so the ledger, the HTTP layer and the CLI render it without special cases.
 */

/** Each code with the HTTP status it maps to at the API edge. */
export const ERROR_STATUS = {
  // validation and input
  VALIDATION_FAILED: 400,
  PATH_OUTSIDE_ROOT: 422,
  PATH_ABSOLUTE: 422,
  PATH_INVALID: 422,
  GIT_INTERNALS_DENIED: 422,
  PATH_DENIED: 422,
  PATH_PROTECTED: 422,
  SYMLINK_ESCAPE: 422,
  SYMLINK_CREATE_DENIED: 422,
  FILE_TOO_LARGE: 413,
  TOO_MANY_FILES: 422,
  PATCH_FAILED: 422,
  BODY_TOO_LARGE: 413,
  // auth
  UNAUTHORIZED: 401,
  ROLE_FORBIDDEN: 403,
  SELF_APPROVAL_FORBIDDEN: 403,
  // state and races
  NOT_FOUND: 404,
  INVALID_TRANSITION: 409,
  STALE_APPROVAL: 409,
  REF_CHANGED: 409,
  DIRTY_WORKTREE: 409,
  BRANCH_CAP: 409,
  MERGE_CONFLICT: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  // goal gates
  LOW_CONFIDENCE: 422,
  DUPLICATE_GOAL: 409,
  GOAL_RATE_LIMITED: 429,
  DETECTOR_RATE_LIMITED: 429,
  POLICY_MISALIGNED: 422,
  // store and runtime
  STORE_LOCKED: 503,
  STORE_TOO_NEW: 500,
  MIGRATION_FAILED: 500,
  CONFIG_INVALID: 400,
  MODEL_NOT_CONFIGURED: 503,
  MODEL_FAILED: 502,
  TEST_TIMEOUT: 500,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export type ErrorData = Record<string, unknown>;

export class TetherError extends Error {
  override readonly name = 'TetherError';
  readonly code: ErrorCode;
  readonly data: ErrorData;

  constructor(code: ErrorCode, message: string, data: ErrorData = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.data = data;
  }

  /** The HTTP status this error maps to. */
  get status(): number {
    return ERROR_STATUS[this.code];
  }

  toJSON(): { code: ErrorCode; message: string; data: ErrorData } {
    return { code: this.code, message: this.message, data: this.data };
  }
}

export function isTetherError(value: unknown, code?: ErrorCode): value is TetherError {
  return value instanceof TetherError && (code === undefined || value.code === code);
}

/** Wraps anything thrown into a TetherError, keeping TetherErrors as they are. */
export function toTetherError(value: unknown, fallback: ErrorCode = 'INTERNAL'): TetherError {
  if (value instanceof TetherError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new TetherError(fallback, message, {}, { cause: value });
}
