/**
 * One route as data: method, path, who may call it, its zod schemas and its handler. The
 * app mounts every route from this description (access check, idempotency, validators,
 * handler, in that order) and the OpenAPI document is written from the very same list, so
 * what is documented is what runs.
 */
import { zValidator } from '@hono/zod-validator';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import { TetherError, type ErrorCode } from '../errors.ts';
import type { Database } from '../store/schema.ts';
import type { Access } from './access.ts';
import { authorize } from './authorize.ts';
import type { HttpErrorCode } from './http-error.ts';
import { failpoint } from '../faults/failpoint.ts';
import { idempotency } from './idempotency.ts';
import type { HttpEnv } from './principal.ts';
import type { TokenVerifier } from './token-verifier.ts';

type Schema = z.ZodType | undefined;
type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export interface RouteInput<P extends Schema, Q extends Schema, B extends Schema> {
  params: Out<P>;
  query: Out<Q>;
  body: Out<B>;
}

export interface RouteDef<P extends Schema = Schema, Q extends Schema = Schema, B extends Schema = Schema> {
  method: 'GET' | 'POST';
  /** Hono's syntax: `/api/goals/:id`. */
  path: string;
  summary: string;
  /** OpenAPI tag, e.g. `modifications`. */
  tag: string;
  access: Access;
  params?: P;
  query?: Q;
  body?: B;
  /** The success status (default 200) and its body's schema; `html` for the page. */
  status?: 200 | 201;
  response?: z.ZodType;
  html?: boolean;
  /** The error codes this route answers with, beyond auth, validation and rate limits. */
  errors?: (ErrorCode | HttpErrorCode)[];
  /**
   * Honours an `Idempotency-Key` header: the handler stores its answer with commitAnswer()
   * inside the transaction of its state change.
   */
  idempotent?: boolean;
  handle(c: Context<HttpEnv>, input: RouteInput<P, Q, B>): Response | Promise<Response>;
}

/** A route of any input types, as the app and the OpenAPI writer hold them. */
export type AnyRoute = RouteDef<any, any, any>;

export function defineRoute<P extends Schema = undefined, Q extends Schema = undefined, B extends Schema = undefined>(
  def: RouteDef<P, Q, B>,
): AnyRoute {
  return def as AnyRoute;
}

/** A zod failure as our 400: every problem with where it is. */
function validationError(error: z.ZodError, target: string): TetherError {
  const problems = error.issues.slice(0, 20).map((issue) => {
    const where = issue.path.length ? `${target}.${issue.path.join('.')}` : target;
    return `${where}: ${issue.message}`;
  });
  return new TetherError('VALIDATION_FAILED', `Invalid request: ${problems.join('; ')}`, { problems });
}

function validate(target: 'param' | 'query' | 'json', schema: z.ZodType): MiddlewareHandler<HttpEnv> {
  const where = target === 'json' ? 'body' : target;
  return zValidator(target, schema, (result) => {
    if (!result.success) throw validationError(result.error as z.ZodError, where);
  }) as unknown as MiddlewareHandler<HttpEnv>;
}

export interface MountDeps {
  tokens: TokenVerifier;
  db: Kysely<Database>;
}

export function mountRoute(app: Hono<HttpEnv>, def: AnyRoute, deps: MountDeps): void {
  const handlers: MiddlewareHandler<HttpEnv>[] = [authorize(def.access, deps.tokens, deps.db)];
  if (def.idempotent) handlers.push(idempotency(deps.db, def.status ?? 200));
  if (def.params) handlers.push(validate('param', def.params));
  if (def.query) handlers.push(validate('query', def.query));
  if (def.body) handlers.push(validate('json', def.body));
  handlers.push(async (c) => {
    const response = await def.handle(c, {
      params: def.params ? c.req.valid('param' as never) : undefined,
      query: def.query ? c.req.valid('query' as never) : undefined,
      body: def.body ? c.req.valid('json' as never) : undefined,
    });
    if (def.method === 'POST') failpoint('http.write.before-answer');
    return response;
  });
  app.on(def.method, def.path, ...(handlers as [MiddlewareHandler<HttpEnv>]));
}
