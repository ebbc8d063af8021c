import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startScheduler, stopScheduler } from '../actors/scheduler.ts';
import { createModel } from '../src/model/index.ts';
import { createCognitiveHandler } from '../src/scheduler/cognitive-handler.ts';
import { createTaskQueue, type TaskQueue } from '../src/scheduler/task-queue.ts';
import type { Settlement } from '../src/scheduler/task-types.ts';
import type { Store } from '../src/store/open-store.ts';
import { startOpenAIServer, type OpenAIServer } from './support/openai-server.ts';
import { backends } from './support/stores.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
// A liveness bound, not a speed check: generous, since CI runs this beside crash suites.
async function until(condition: () => boolean, timeoutMs = 45_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(10);
  }
}

const ProposedTasks = z.object({ tasks: z.array(z.object({ type: z.string(), path: z.string() })) });

for (const backend of backends) {
  describe(`COGNITIVE tasks on ${backend.name}`, () => {
    let store: Store;
    let queue: TaskQueue;
    let server: OpenAIServer;

    beforeAll(async () => {
      store = await backend.open();
      queue = createTaskQueue(store.db);
      server = await startOpenAIServer();
    });
    afterAll(async () => {
      await server?.close();
      await store?.close();
    });
    beforeEach(async () => {
      await sql`delete from tasks`.execute(store.db);
      await sql`delete from task_executions`.execute(store.db);
    });

    async function run(handler: ReturnType<typeof createCognitiveHandler>, payload: Record<string, unknown>) {
      const settled: Settlement[] = [];
      const actor = startScheduler({ db: store.db, pollMs: 20, handlers: { COGNITIVE: handler } });
      actor.on('task.settled', (event) => settled.push(event.settlement));
      const task = await queue.enqueue({ type: 'COGNITIVE', goalId: 'g-user', payload, maxAttempts: 3 });
      actor.send({ type: 'scheduler.tick' });
      try {
        await until(() => settled.length > 0);
      } finally {
        // Also on a timeout: a scheduler left running would take the next test's tasks.
        await stopScheduler(actor);
      }
      const row = await store.db.selectFrom('tasks').selectAll().where('id', '=', task.id).executeTakeFirstOrThrow();
      const history = await store.db.selectFrom('task_executions').selectAll().where('task_id', '=', task.id).execute();
      return { settled, row, history };
    }

    it('fails a COGNITIVE task with MODEL_NOT_CONFIGURED in history when no model is configured, without retrying', async () => {
      const { settled, row, history } = await run(createCognitiveHandler(createModel()), { prompt: 'Plan the fix.' });
      expect(settled.map((s) => s.outcome)).toEqual(['failed']);
      expect(row).toMatchObject({ status: 'failed', attempts: 1, error: { class: 'MODEL_NOT_CONFIGURED' } });
      expect(history).toHaveLength(1);
      expect(history[0]).toMatchObject({ type: 'COGNITIVE', goal_id: 'g-user', status: 'failed', error_class: 'MODEL_NOT_CONFIGURED' });
      expect(history[0]!.error_message).toContain('TETHER_MODEL_URL');
    });

    it('completes a COGNITIVE task with the structured answer of the local OpenAI-compatible server', async () => {
      const answer = { tasks: [{ type: 'CODE_READ', path: 'src/parse.ts' }] };
      server.reply({ json: answer });
      const model = createModel({ url: server.url, model: 'planner-model' });
      const handler = createCognitiveHandler(model, { schemas: { 'proposed-tasks': ProposedTasks } });
      const { settled, row, history } = await run(handler, {
        system: 'You propose code tasks.',
        prompt: 'The parser fails on empty input. What should be read first?',
        schema: 'proposed-tasks',
      });
      expect(settled.map((s) => s.outcome)).toEqual(['succeeded']);
      expect(row.status).toBe('succeeded');
      expect(row.result).toEqual({ text: JSON.stringify(answer), object: answer });
      expect(history.map((e) => e.status)).toEqual(['succeeded']);
      const request = server.requests.at(-1)!;
      expect(request.body.model).toBe('planner-model');
      expect(request.body.response_format?.type).toBe('json_schema');
      expect(request.body.messages?.[0]).toEqual({ role: 'system', content: 'You propose code tasks.' });
    });

    it('fails a COGNITIVE task whose payload names an unknown schema, without calling the model', async () => {
      const before = server.requests.length;
      const handler = createCognitiveHandler(createModel({ url: server.url, model: 'm' }));
      const { row, history } = await run(handler, { prompt: 'x', schema: 'nope' });
      expect(row.status).toBe('failed');
      expect(history.map((e) => e.error_class)).toEqual(['VALIDATION_FAILED']);
      expect(server.requests.length).toBe(before);
    });

    it('retries a COGNITIVE task when the model endpoint fails', async () => {
      server.reply({ status: 500, error: 'model crashed' }, { text: 'second time lucky' });
      const handler = createCognitiveHandler(createModel({ url: server.url, model: 'm' }));
      const settled: Settlement[] = [];
      const actor = startScheduler({ db: store.db, pollMs: 20, backoff: { baseMs: 10 }, handlers: { COGNITIVE: handler } });
      actor.on('task.settled', (event) => settled.push(event.settlement));
      const task = await queue.enqueue({ type: 'COGNITIVE', payload: { prompt: 'hi' } });
      actor.send({ type: 'scheduler.tick' });
      await until(() => settled.some((s) => s.outcome === 'succeeded'));
      await stopScheduler(actor);
      const history = await store.db.selectFrom('task_executions').selectAll().where('task_id', '=', task.id).orderBy('id').execute();
      expect(history.map((e) => [e.status, e.error_class])).toEqual([
        ['failed', 'MODEL_FAILED'],
        ['succeeded', null],
      ]);
    });
  });
}
