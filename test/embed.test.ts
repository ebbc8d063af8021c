/**
 * Embedding: the Hono app mounted inside another Hono server, and the runtime invoked as
 * actor logic by another agent's machine, which submits a goal by event, hears every state
 * of the modification, approves it by event and hears it merged.
 */
import { Hono } from 'hono';
import { assign, createActor, sendTo, setup, waitFor } from 'xstate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRepo } from '../src/code-access/repo.ts';
import { resolveConfig } from '../src/config.ts';
import { nodeFs } from '../src/git/node-fs.ts';
import { tetherLogic, type TetherParentEvent } from '../src/index.ts';
import type { Store } from '../src/store/open-store.ts';
import { makeRepo, tempDir } from './git-fixtures.ts';
import { FILES, FIX, httpHarness, TOKENS, type HttpHarness } from './support/http.ts';
import { openPGliteTestStore } from './support/stores.ts';

describe('the app mounted in another Hono server', () => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await httpHarness();
  });
  afterAll(async () => h?.close());

  it('answers under the prefix with the same auth, errors and page', async () => {
    const outer = new Hono();
    outer.get('/', (c) => c.text('the host app'));
    outer.route('/tether', h.tether.app);
    const auth = { authorization: `Bearer ${TOKENS.viewer.secret}` };

    expect(await (await outer.request('/')).text()).toBe('the host app');
    expect((await (await outer.request('/tether/health')).json()).status).toBe('ok');
    expect((await outer.request('/tether/api/goals')).status).toBe(401);
    expect((await outer.request('/tether/api/goals', { headers: auth })).status).toBe(200);
    const missing = await outer.request('/tether/api/goals/goal_missing', { headers: auth });
    expect([missing.status, (await missing.json()).error.code]).toEqual([404, 'NOT_FOUND']);
    const page = await outer.request('/tether');
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Tether review');
    const created = await outer.request('/tether/api/goals', {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKENS.agent.secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'From the host app' }),
    });
    expect(created.status).toBe(201);
  });
});

describe('the runtime as actor logic', () => {
  let store: Store;
  beforeAll(async () => {
    store = await openPGliteTestStore();
  });
  afterAll(async () => store?.close());

  it('is invoked by a parent machine that submits a goal by event and receives the modification states', async () => {
    const disk = makeRepo(FILES);
    const repo = createRepo({ fs: nodeFs, dir: disk.dir, testCommand: 'node check.js', sandboxRoot: tempDir('tether-sandbox-'), hasWorktree: true });
    const config = resolveConfig({ 'data-dir': tempDir('tether-data-') });

    const parentMachine = setup({
      types: {
        context: {} as { goalId: string | null; states: string[]; errors: string[] },
        events: {} as TetherParentEvent,
      },
      actors: { tether: tetherLogic({ config, store, repo }) },
      actions: {
        submitGoal: sendTo('tether', {
          type: 'goal.submit',
          title: 'Fix add',
          description: 'add subtracts',
          by: 'helper-agent',
          changes: [{ path: 'src/math.js', content: FIX }],
        }),
        rememberGoal: assign({ goalId: ({ event }) => (event.type === 'tether.goal.created' ? event.goal.id : null) }),
        recordState: assign({ states: ({ context, event }) => (event.type === 'tether.modification' ? [...context.states, event.state] : context.states) }),
        recordError: assign({ errors: ({ context, event }) => (event.type === 'tether.error' ? [...context.errors, event.code] : context.errors) }),
        approve: sendTo('tether', ({ event }) => ({
          type: 'modification.approve' as const,
          id: event.type === 'tether.modification' ? event.id : '',
          by: 'a-person',
          ...(event.type === 'tether.modification' && event.head ? { head: event.head } : {}),
        })),
      },
      guards: {
        isTested: ({ event }) => event.type === 'tether.modification' && event.state === 'tested',
      },
    }).createMachine({
      id: 'otherAgent',
      context: { goalId: null, states: [], errors: [] },
      invoke: { id: 'tether', src: 'tether' },
      on: {
        'tether.ready': { actions: 'submitGoal' },
        'tether.goal.created': { actions: 'rememberGoal' },
        'tether.modification': [{ guard: 'isTested', actions: ['recordState', 'approve'] }, { actions: 'recordState' }],
        'tether.error': { actions: 'recordError' },
      },
    });

    const parent = createActor(parentMachine).start();
    try {
      const done = await waitFor(parent, (s) => s.context.states.includes('merged') || s.context.errors.length > 0, { timeout: 30_000 });
      expect(done.context.errors).toEqual([]);
      expect(done.context.goalId).toMatch(/^goal_/);
      expect(done.context.states).toEqual(['proposed', 'branched', 'tested', 'approved', 'merged']);
      expect(disk.git('log', '-1', '--format=%(trailers:key=Tether-Approved-By,valueonly)', 'main')).toBe('a-person');
    } finally {
      parent.stop();
      disk.cleanup();
    }
  });
});
