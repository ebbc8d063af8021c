/**
 * Liveness, the status counts `tether status` asks for while a server holds the embedded
 * store, the live actors, and the statechart definitions (JSON Stately's visualizer
 * imports).
 */
import { TetherError } from '../../errors.ts';
import { readStatus } from '../../cli/status.ts';
import { listActors } from '../../runtime/list-actors.ts';
import { machineDefinitions, registerMachine } from '../../runtime/machine-definitions.ts';
import { codeAccessMachine } from '../../../machines/code-access.ts';
import { modificationMachine } from '../../../machines/modification.ts';
import type { AppContext } from '../app-context.ts';
import { defineRoute, type AnyRoute } from '../route.ts';
import { LooseObject, MachineParams } from '../schemas.ts';
import { z } from 'zod';

registerMachine('modification', modificationMachine);
registerMachine('codeAccess', codeAccessMachine);

export function systemRoutes(ctx: AppContext): AnyRoute[] {
  return [
    defineRoute({
      method: 'GET',
      path: '/health',
      summary: 'Liveness: the store answers.',
      tag: 'system',
      access: 'public',
      response: z.object({ status: z.literal('ok'), store: z.string(), dbMs: z.number() }),
      async handle(c) {
        const started = performance.now();
        await ctx.services.store.db.selectFrom('ledger_head').select('seq').executeTakeFirst();
        return c.json({ status: 'ok', store: ctx.services.store.backend, dbMs: Math.round(performance.now() - started) });
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/status',
      summary: 'Goals, modifications and tasks by state, and the ledger head (counts only).',
      tag: 'system',
      access: 'public',
      response: z.object({ goals: LooseObject, modifications: LooseObject, tasks: LooseObject, ledger: z.object({ seq: z.number(), hash: z.string() }) }),
      async handle(c) {
        return c.json(await readStatus(ctx.services.store));
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/actors',
      summary: 'Live actors: id, systemId, machine and state.',
      tag: 'inspection',
      access: 'read',
      response: z.object({ actors: z.array(z.object({ id: z.string(), systemId: z.string().nullable(), machine: z.string().nullable(), state: z.unknown(), status: z.string() })) }),
      handle: (c) => c.json({ actors: listActors(ctx.system) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/machines',
      summary: 'The names of the statecharts.',
      tag: 'inspection',
      access: 'read',
      response: z.object({ machines: z.array(z.string()) }),
      handle: (c) => c.json({ machines: Object.keys(machineDefinitions()) }),
    }),
    defineRoute({
      method: 'GET',
      path: '/api/machines/:name',
      summary: "A statechart's definition as JSON (XState's machine.definition).",
      tag: 'inspection',
      access: 'read',
      params: MachineParams,
      response: LooseObject,
      errors: ['NOT_FOUND'],
      handle(c, { params }) {
        const def = machineDefinitions()[params.name];
        if (!def) throw new TetherError('NOT_FOUND', `No machine named "${params.name}".`);
        return c.json(def as Record<string, unknown>);
      },
    }),
  ];
}
