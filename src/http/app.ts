/**
 * The Hono app: maps a Request to a Response, nothing else. The runtime builds it; an
 * embedder mounts it (`app.route('/tether', tether.app)`) or serves it (`Deno.serve`).
 *
 * Every request passes, in order: secure headers; authentication and the per-token rate
 * limit; the body limit (413 before any handler reads, chunked bodies included); the CSRF
 * guard for writes (Origin, JSON only); then the route's access check, idempotency,
 * validators and handler. Routes are data (routes/*.ts), and /openapi.json is written
 * from the same list.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import { TetherError } from '../errors.ts';
import type { AppContext } from './app-context.ts';
import { authenticate } from './authenticate.ts';
import { errorBody, errorResponse } from './error-response.ts';
import { guardWrites } from './guard-writes.ts';
import { DEFAULT_BODY_LIMIT_BYTES, DEFAULT_RATE_LIMIT, type HttpOptions } from './http-options.ts';
import type { HttpEnv } from './principal.ts';
import { RateLimiter } from './rate-limiter.ts';
import { mountRoute, type AnyRoute } from './route.ts';
import { docRoutes } from './routes/docs.ts';
import { goalRoutes } from './routes/goals.ts';
import { ledgerRoutes } from './routes/ledger.ts';
import { modificationRoutes } from './routes/modifications.ts';
import { systemRoutes } from './routes/system.ts';
import { taskRoutes } from './routes/tasks.ts';
import { TokenVerifier } from './token-verifier.ts';

export type { AppContext } from './app-context.ts';
export { errorBody } from './error-response.ts';
export type { HttpOptions } from './http-options.ts';

/** Every route of the API, in the order they are mounted and documented. */
export function apiRoutes(ctx: AppContext): AnyRoute[] {
  const routes: AnyRoute[] = [];
  routes.push(
    ...docRoutes(() => routes),
    ...systemRoutes(ctx),
    ...goalRoutes(ctx),
    ...modificationRoutes(ctx),
    ...taskRoutes(ctx),
    ...ledgerRoutes(ctx),
  );
  return routes;
}

export function createApp(ctx: AppContext, options: HttpOptions = {}): Hono {
  const app = new Hono<HttpEnv>();
  const tokens = new TokenVerifier(ctx.services.config.tokens);
  const rateLimit = options.rateLimit ?? DEFAULT_RATE_LIMIT;
  const limiter = rateLimit === false ? undefined : new RateLimiter(rateLimit, options.now);

  app.onError(errorResponse);
  app.notFound((c) => c.json(errorBody(new TetherError('NOT_FOUND', `No route for ${c.req.method} ${c.req.path.slice(0, 200)}.`)), 404));

  // The page sets its own, stricter CSP with a nonce; everything else gets this one.
  app.use(secureHeaders({ contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] }, overwrite: false }));
  app.use(authenticate(tokens, limiter));
  const limitBody = bodyLimit({
    maxSize: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    onError: () => {
      throw new TetherError('BODY_TOO_LARGE', `The body is over ${options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES} bytes.`);
    },
  });
  // Reads carry no body worth reading; skipping them keeps the Node adapter's request lazy.
  app.use((c, next) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? next() : limitBody(c, next)));
  app.use(guardWrites(options.allowedOrigins ?? []));

  for (const route of apiRoutes(ctx)) mountRoute(app, route, { tokens, db: ctx.services.store.db });
  // Embedders mount it in their own app, whose variables differ: the type stays internal.
  return app as unknown as Hono;
}
