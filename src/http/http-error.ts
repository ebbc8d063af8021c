/**
 * Refusals that only exist at the HTTP edge (a wrong content type, a foreign Origin), with
 * the same `{code, message}` shape as TetherError, so one error handler renders both.
 * Domain codes stay in src/errors.ts; these never reach the ledger's payloads as causes.
 */
export const HTTP_ERROR_STATUS = {
  UNSUPPORTED_MEDIA_TYPE: 415,
  ORIGIN_FORBIDDEN: 403,
  METHOD_NOT_ALLOWED: 405,
} as const;

export type HttpErrorCode = keyof typeof HTTP_ERROR_STATUS;

export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly code: HttpErrorCode;

  constructor(code: HttpErrorCode, message: string) {
    super(message);
    this.code = code;
  }

  get status(): number {
    return HTTP_ERROR_STATUS[this.code];
  }
}
