/**
 * The Hono app: maps a Request to a Response, nothing else. The runtime builds it; an
 * embedder mounts it (`app.route('/tether', tether.app)`) or serves it (`Deno.serve`).
 */
import { Hono } from 'hono';
import type { AnyActorRef } from 'xstate';
import { isTetherError, TetherError } from '../errors.ts';
import { listActors } from '../runtime/list-actors.ts';
import type { TetherServices } from '../runtime/services.ts';
import { machineDefinitions } from '../runtime/machine-definitions.ts';

export interface AppContext {
  services: TetherServices;
  system: AnyActorRef;
}

export function errorBody(error: TetherError): { error: { code: string; message: string; data?: unknown } } {
  const data = Object.keys(error.data).length ? { data: error.data } : {};
  return { error: { code: error.code, message: error.message, ...data } };
}

export function createApp(ctx: AppContext): Hono {
  const app = new Hono();

  app.onError((err, c) => {
    if (isTetherError(err)) return c.json(errorBody(err), err.status as 400);
    return c.json({ error: { code: 'INTERNAL', message: 'Internal error.' } }, 500);
  });
  app.notFound((c) => c.json(errorBody(new TetherError('NOT_FOUND', `No route for ${c.req.method} ${c.req.path}.`)), 404));

  app.get('/health', async (c) => {
    const started = performance.now();
    await ctx.services.store.db.selectFrom('ledger_head').select('seq').executeTakeFirst();
    return c.json({ status: 'ok', store: ctx.services.store.backend, dbMs: Math.round(performance.now() - started) });
  });

  app.get('/api/actors', (c) => c.json({ actors: listActors(ctx.system) }));

  app.get('/api/machines', (c) => c.json({ machines: Object.keys(machineDefinitions()) }));
  app.get('/api/machines/:name', (c) => {
    const def = machineDefinitions()[c.req.param('name')];
    if (!def) throw new TetherError('NOT_FOUND', `No machine named "${c.req.param('name')}".`);
    return c.json(def);
  });

  return app;
}
