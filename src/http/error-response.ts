/**
 * Every failure as `{"error":{"code","message"}}` with its status. Anything unexpected is
 * a 500 whose message says nothing about internals (the cause goes to the log only).
 */
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { isTetherError, type TetherError } from '../errors.ts';
import { logger } from '../log.ts';
import { HttpError } from './http-error.ts';

export interface ErrorBody {
  error: { code: string; message: string; data?: unknown };
}

export function errorBody(error: TetherError | HttpError): ErrorBody {
  if (error instanceof HttpError) return { error: { code: error.code, message: error.message } };
  const data = Object.keys(error.data).length ? { data: error.data } : {};
  return { error: { code: error.code, message: error.message, ...data } };
}

/** Hono's own exceptions (malformed JSON, body limit) mapped onto our codes. */
function fromHttpException(err: HTTPException): ErrorBody & { status: number } {
  const status = err.status;
  const code = status === 413 ? 'BODY_TOO_LARGE' : status === 401 ? 'UNAUTHORIZED' : status < 500 ? 'VALIDATION_FAILED' : 'INTERNAL';
  return { status, error: { code, message: status < 500 ? err.message || 'The request is malformed.' : 'Internal error.' } };
}

export function errorResponse(err: Error, c: Context): Response {
  if (isTetherError(err) || err instanceof HttpError) {
    const headers: Record<string, string> = {};
    if (isTetherError(err, 'RATE_LIMITED') && typeof err.data.retryAfterSeconds === 'number') {
      headers['Retry-After'] = String(err.data.retryAfterSeconds);
    }
    return c.json(errorBody(err), err.status as 400, headers);
  }
  if (err instanceof HTTPException) {
    const { status, ...body } = fromHttpException(err);
    return c.json(body, status as 400);
  }
  logger('http').error('Unhandled error on {method} {path}: {error}', { method: c.req.method, path: c.req.path, error: String(err?.stack ?? err) });
  return c.json({ error: { code: 'INTERNAL', message: 'Internal error.' } }, 500);
}
