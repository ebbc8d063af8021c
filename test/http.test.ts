/**
 * The HTTP API through `app.request()`: every SPEC §8 route, every role, and every error
 * code the edge answers with. One runtime (in-memory store, real git repository) serves
 * the file; apps with other options are built on its services.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Hono } from 'hono';
import { enqueueTask } from '../src/scheduler/enqueue-task.ts';
import { createApp, type HttpOptions } from '../src/http/app.ts';
import type { Modification } from '../src/code-access/modification-store.ts';
import { FIX, httpHarness, TOKENS, type HttpHarness } from './support/http.ts';

let h: HttpHarness;
beforeAll(async () => {
  h = await httpHarness();
});
afterAll(async () => h?.close());

async function json<T = any>(res: Response | Promise<Response>): Promise<{ status: number; body: T; headers: Headers }> {
  const r = await res;
  return { status: r.status, body: (await r.json()) as T, headers: r.headers };
}

async function ledgerOf(type: string): Promise<{ actor: string; payload: Record<string, unknown> }[]> {
  const rows = await h.store.db.selectFrom('ledger_entries').select(['actor', 'payload']).where('type', '=', type).orderBy('seq').execute();
  return rows as { actor: string; payload: Record<string, unknown> }[];
}

/** An app on the same runtime with other tokens or options. */
function appWith(options: HttpOptions & { tokens?: typeof TOKENS[keyof typeof TOKENS][] }): Hono {
  const { tokens, ...http } = options;
  const services = { ...h.tether.services, config: { ...h.tether.services.config, tokens: tokens ?? Object.values(TOKENS) } };
  return createApp({ services, system: h.tether.system }, http);
}

describe('liveness, status and hardening headers', () => {
  it('answers /health without a token, with secure headers', async () => {
    const { status, body, headers } = await json(h.request('/health', { as: 'none' }));
    expect(status).toBe(200);
    expect(body.status).toBe('ok');
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(headers.get('content-security-policy')).toContain("default-src 'none'");
  });

  it('answers /api/status with the same counts `tether status` prints, without a token', async () => {
    const { status, body } = await json(h.request('/api/status', { as: 'none' }));
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['goals', 'ledger', 'modifications', 'tasks']);
    expect(body.ledger.seq).toBeGreaterThanOrEqual(0);
  });

  it('answers an unknown route with 404 NOT_FOUND in the error shape', async () => {
    const { status, body } = await json(h.request('/api/nothing-here'));
    expect(status).toBe(404);
    expect(body.error.code).toBe('NOT_FOUND');
  });
});

describe('authentication and roles', () => {
  it('refuses a read without a token with 401, WWW-Authenticate and a ledger entry', async () => {
    const before = (await ledgerOf('auth.refused')).length;
    const { status, body, headers } = await json(h.request('/api/goals', { as: 'none' }));
    expect(status).toBe(401);
    expect(body.error.code).toBe('UNAUTHORIZED');
    expect(headers.get('www-authenticate')).toContain('Bearer');
    const entries = await ledgerOf('auth.refused');
    expect(entries.length).toBe(before + 1);
    expect(entries.at(-1)).toMatchObject({ actor: 'anonymous', payload: { reason: 'missing', method: 'GET', path: '/api/goals' } });
  });

  it('refuses a wrong secret and a malformed header alike, and never writes the secret anywhere', async () => {
    const wrong = await json(h.request('/api/goals', { as: 'none', headers: { authorization: 'Bearer not-a-real-secret-at-all' } }));
    expect(wrong.status).toBe(401);
    const basic = await json(h.request('/api/goals', { as: 'none', headers: { authorization: 'Basic dXNlcjpwYXNz' } }));
    expect(basic.status).toBe(401);
    const ledger = JSON.stringify(await h.store.db.selectFrom('ledger_entries').select('payload').execute());
    expect(ledger).not.toContain('not-a-real-secret-at-all');
    for (const token of Object.values(TOKENS)) expect(ledger).not.toContain(token.secret);
  });

  it('tells each token who it is', async () => {
    for (const [as, token] of Object.entries(TOKENS)) {
      const { body } = await json(h.request('/api/me', { as: as as keyof typeof TOKENS }));
      expect(body).toEqual({ name: token.name, role: token.role });
    }
  });

  it('lets a viewer read every read route', async () => {
    const m = await h.testedModification('Viewer can see this');
    const paths = [
      '/api/actors',
      '/api/machines',
      '/api/machines/modification',
      '/api/goals',
      `/api/goals/${m.goalId}`,
      '/api/modifications',
      `/api/modifications/${m.id}`,
      `/api/modifications/${m.id}/diff`,
      '/api/tasks',
      '/api/ledger',
      '/api/ledger/verify',
      '/api/status',
      '/openapi.json',
    ];
    for (const path of paths) expect([path, (await h.request(path, { as: 'viewer' })).status]).toEqual([path, 200]);
  });

  it('refuses every write to a viewer with 403 ROLE_FORBIDDEN and records it under the token name', async () => {
    const writes = [
      ['/api/goals', { title: 'x' }],
      ['/api/goals/goal_x/approve', {}],
      ['/api/goals/goal_x/reject', {}],
      ['/api/modifications', { title: 'x', changes: [{ path: 'a.txt', content: 'a' }] }],
      ['/api/modifications/mod_x/approve', {}],
      ['/api/modifications/mod_x/reject', {}],
    ] as const;
    for (const [path, body] of writes) {
      const res = await json(h.request(path, { as: 'viewer', json: body }));
      expect([path, res.status, res.body.error.code]).toEqual([path, 403, 'ROLE_FORBIDDEN']);
    }
    const entries = await ledgerOf('auth.refused');
    expect(entries.filter((e) => e.actor === 'vera' && e.payload.reason === 'role').length).toBeGreaterThanOrEqual(writes.length);
  });

  it('lets an agent submit but never approve or reject', async () => {
    for (const path of ['/api/goals/goal_x/approve', '/api/modifications/mod_x/approve', '/api/modifications/mod_x/reject']) {
      const res = await json(h.request(path, { as: 'agent', json: {} }));
      expect([path, res.status, res.body.error.code]).toEqual([path, 403, 'ROLE_FORBIDDEN']);
    }
  });
});

describe('goals', () => {
  it('takes an agent goal as a collaborative proposal and a person goal as active', async () => {
    const agent = await json(h.request('/api/goals', { as: 'agent', json: { title: 'Speed up the build', description: 'it is slow' } }));
    expect(agent.status).toBe(201);
    expect(agent.body).toMatchObject({ status: 'proposed', source: 'collaborative', createdBy: 'agent-a', kind: 'request' });
    const person = await json(h.request('/api/goals', { as: 'approver', json: { title: 'Tidy the README', kind: 'docs' } }));
    expect(person.status).toBe(201);
    expect(person.body).toMatchObject({ status: 'active', source: 'user', createdBy: 'alice', kind: 'docs' });
  });

  it('lists goals filtered by status and reads one; an unknown one is 404, a bad filter 400', async () => {
    const created = await json(h.request('/api/goals', { as: 'agent', json: { title: 'Filter me' } }));
    const list = await json(h.request('/api/goals?status=proposed&limit=500', { as: 'viewer' }));
    expect(list.status).toBe(200);
    expect(list.body.goals.every((g: { status: string }) => g.status === 'proposed')).toBe(true);
    expect(list.body.goals.map((g: { id: string }) => g.id)).toContain(created.body.id);
    expect((await json(h.request(`/api/goals/${created.body.id}`))).body.title).toBe('Filter me');
    expect((await json(h.request('/api/goals/goal_missing'))).body.error.code).toBe('NOT_FOUND');
    const bad = await json(h.request('/api/goals?status=bogus'));
    expect([bad.status, bad.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('lets a person approve or reject a proposed goal once; a second decision is 409 INVALID_TRANSITION', async () => {
    const a = await json(h.request('/api/goals', { as: 'agent', json: { title: 'Approve me' } }));
    const b = await json(h.request('/api/goals', { as: 'agent', json: { title: 'Reject me' } }));
    const approved = await json(h.request(`/api/goals/${a.body.id}/approve`, { json: { comment: 'yes' } }));
    expect([approved.status, approved.body.status]).toEqual([200, 'active']);
    const rejected = await json(h.request(`/api/goals/${b.body.id}/reject`, { as: 'approver2', json: {} }));
    expect([rejected.status, rejected.body.status]).toEqual([200, 'rejected']);
    const again = await json(h.request(`/api/goals/${b.body.id}/approve`, { json: {} }));
    expect([again.status, again.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);
    expect((await json(h.request('/api/goals/goal_missing/approve', { json: {} }))).status).toBe(404);
  });

  it('finds a goal whose id arrives percent-encoded, decoding it exactly once', async () => {
    const created = await json(h.request('/api/goals', { as: 'agent', json: { title: 'Encoded' } }));
    const id: string = created.body.id;
    const once = `%${id.charCodeAt(0).toString(16)}${id.slice(1)}`;
    expect((await json(h.request(`/api/goals/${once}`))).body.id).toBe(id);
    // Encoded twice, it decodes once to "%67…", which is not an id: nothing double-decodes it.
    const twice = await json(h.request(`/api/goals/%25${id.charCodeAt(0).toString(16)}${id.slice(1)}`));
    expect([twice.status, twice.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});

describe('modifications', () => {
  let tested: Modification;
  beforeAll(async () => {
    tested = await h.testedModification('Fix add for review');
  });

  it('answers a submission with 201 proposed, the agent as author, and branching going on', async () => {
    const res = await json(h.request('/api/modifications', { as: 'agent', json: { title: 'Another fix', changes: [{ path: 'src/math.js', content: FIX }] } }));
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ state: 'proposed', author: 'agent-a', files: ['src/math.js'] });
    const done = await h.tether.services.codeAccess.waitFor(res.body.id, ['tested', 'failed'], 30_000);
    expect(done.state).toBe('tested');
  });

  it('refuses paths outside the policy with 422 and their code, writing nothing', async () => {
    const before = (await json(h.request('/api/modifications?limit=1000'))).body.modifications.length;
    for (const [path, code] of [
      ['.git/config', 'GIT_INTERNALS_DENIED'],
      ['../outside.txt', 'PATH_OUTSIDE_ROOT'],
      ['/etc/passwd', 'PATH_ABSOLUTE'],
    ]) {
      const res = await json(h.request('/api/modifications', { as: 'agent', json: { title: 'bad', changes: [{ path, content: 'x' }] } }));
      expect([path, res.status, res.body.error.code]).toEqual([path, 422, code]);
    }
    expect((await json(h.request('/api/modifications?limit=1000'))).body.modifications.length).toBe(before);
  });

  it('refuses malformed submissions with 400 VALIDATION_FAILED and an unknown goal with 404', async () => {
    for (const body of [{}, { title: 'x', changes: [] }, { title: 'x', changes: [{ path: 'a', content: 'a', delete: true }] }, { title: 'x\u0000', changes: [{ path: 'a', content: 'a' }] }]) {
      const res = await json(h.request('/api/modifications', { as: 'agent', json: body }));
      expect([res.status, res.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    }
    const res = await json(h.request('/api/modifications', { as: 'agent', json: { goalId: 'goal_missing', title: 'x', changes: [{ path: 'a.txt', content: 'a' }] } }));
    expect([res.status, res.body.error.code]).toEqual([404, 'NOT_FOUND']);
  });

  it('shows state, branch, base, head, files, test result and history, and the diff as text and hunks', async () => {
    const { body } = await json(h.request(`/api/modifications/${tested.id}`, { as: 'viewer' }));
    expect(body).toMatchObject({ id: tested.id, state: 'tested', branch: tested.branch, baseCommit: tested.baseCommit, head: tested.head, files: ['src/math.js'] });
    expect(body.testResult.exitCode).toBe(0);
    expect(body.history.map((e: { to_state: string }) => e.to_state)).toEqual(['proposed', 'branched', 'tested']);
    const diff = await json(h.request(`/api/modifications/${tested.id}/diff`, { as: 'viewer' }));
    expect(diff.body.diff).toContain('+exports.add = (a, b) => a + b;');
    expect(diff.body.files).toEqual([
      { oldPath: 'src/math.js', newPath: 'src/math.js', hunks: [{ oldStart: 1, oldLines: 1, newStart: 1, newLines: 1, lines: ['-exports.add = (a, b) => a - b;', '+exports.add = (a, b) => a + b;'] }] },
    ]);
    const listed = await json(h.request('/api/modifications?state=tested', { as: 'viewer' }));
    expect(listed.body.modifications.map((m: { id: string }) => m.id)).toContain(tested.id);
    expect((await json(h.request('/api/modifications/mod_missing'))).status).toBe(404);
    expect((await json(h.request('/api/modifications/mod_missing/diff'))).status).toBe(404);
  });

  it('refuses self-approval with 403 SELF_APPROVAL_FORBIDDEN', async () => {
    const own = await json(h.request('/api/modifications', { as: 'approver', json: { title: 'Mine', changes: [{ path: 'src/math.js', content: FIX }] } }));
    await h.tether.services.codeAccess.waitFor(own.body.id, ['tested', 'failed'], 30_000);
    const res = await json(h.request(`/api/modifications/${own.body.id}/approve`, { as: 'approver', json: {} }));
    expect([res.status, res.body.error.code]).toEqual([403, 'SELF_APPROVAL_FORBIDDEN']);
  });

  it('refuses an approval of another head with 409 STALE_APPROVAL', async () => {
    const res = await json(h.request(`/api/modifications/${tested.id}/approve`, { json: { head: '0'.repeat(40) } }));
    expect([res.status, res.body.error.code]).toEqual([409, 'STALE_APPROVAL']);
  });

  it('replays an approval with the same Idempotency-Key and refuses the key with another body', async () => {
    const m = await h.testedModification('Idempotent approval');
    const headers = { 'idempotency-key': `key-${m.id}` };
    const first = await json(h.request(`/api/modifications/${m.id}/approve`, { json: { head: m.head, comment: 'ok' }, headers }));
    expect([first.status, first.body.state]).toEqual([200, 'approved']);
    const replay = await json(h.request(`/api/modifications/${m.id}/approve`, { json: { comment: 'ok', head: m.head }, headers }));
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers.get('idempotency-replayed')).toBe('true');
    const reused = await json(h.request(`/api/modifications/${m.id}/approve`, { json: { head: m.head, comment: 'other' }, headers }));
    expect([reused.status, reused.body.error.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);
    const merged = await h.tether.services.codeAccess.waitFor(m.id);
    expect(merged.state).toBe('merged');
    expect(h.disk.git('log', '-1', '--format=%(trailers:key=Tether-Approved-By,valueonly)', 'main')).toBe('alice');
    // Approving a finished modification, with a fresh key, is an invalid transition.
    const late = await json(h.request(`/api/modifications/${m.id}/approve`, { json: {}, headers: { 'idempotency-key': 'fresh' } }));
    expect([late.status, late.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);
    const bad = await json(h.request(`/api/modifications/${m.id}/approve`, { json: {}, headers: { 'idempotency-key': 'has space' } }));
    expect(bad.status).toBe(400);
  });

  it('makes one goal of concurrent and repeated submissions with one Idempotency-Key', async () => {
    const headers = { 'idempotency-key': 'goal-once' };
    const answers = await Promise.all(Array.from({ length: 5 }, () => json(h.request('/api/goals', { as: 'agent', json: { title: 'Once only' }, headers }))));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(answers.map((a) => a.body.id)).size).toBe(1);
    expect(answers.filter((a) => a.headers.get('idempotency-replayed') === 'true')).toHaveLength(4);
    const rows = await h.store.db.selectFrom('goals').select('id').where('title', '=', 'Once only').execute();
    expect(rows).toHaveLength(1);
    // The key belongs to the token: another agent's request with it is its own.
    const other = await json(h.request('/api/goals', { as: 'approver', json: { title: 'Once only' }, headers }));
    expect(other.body.id).not.toBe(answers[0]!.body.id);
  });

  it('lets exactly one of racing approvals win; the others get 409', async () => {
    const m = await h.testedModification('Raced approval');
    const results = await Promise.all(
      (['approver', 'approver2', 'approver', 'approver2', 'approver'] as const).map((as) => h.request(`/api/modifications/${m.id}/approve`, { as, json: { head: m.head } })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 409, 409, 409, 409]);
    expect((await h.tether.services.codeAccess.waitFor(m.id)).state).toBe('merged');
  });

  it('lets a person reject a tested modification', async () => {
    const m = await h.testedModification('Reject me');
    const res = await json(h.request(`/api/modifications/${m.id}/reject`, { as: 'approver2', json: { comment: 'not now' } }));
    expect([res.status, res.body.state]).toEqual([200, 'rejected']);
    const again = await json(h.request(`/api/modifications/${m.id}/reject`, { json: {} }));
    expect([again.status, again.body.error.code]).toEqual([409, 'INVALID_TRANSITION']);
  });
});

describe('request hardening', () => {
  it('answers 413 BODY_TOO_LARGE from the Content-Length, before the handler', async () => {
    const app = appWith({ bodyLimitBytes: 1024, rateLimit: false });
    const big = JSON.stringify({ title: 'big', changes: [{ path: 'a.txt', content: 'x'.repeat(4096) }] });
    const res = await json(app.request('/api/modifications', { method: 'POST', body: big, headers: { authorization: `Bearer ${TOKENS.agent.secret}`, 'content-type': 'application/json' } }));
    expect([res.status, res.body.error.code]).toEqual([413, 'BODY_TOO_LARGE']);
  });

  it('answers 413 for a chunked body without Content-Length once it passes the limit, writing nothing', async () => {
    const app = appWith({ bodyLimitBytes: 1024, rateLimit: false });
    const before = await h.store.db.selectFrom('modifications').select(({ fn }) => fn.countAll().as('n')).executeTakeFirstOrThrow();
    const chunk = new TextEncoder().encode('{"title":"chunked","changes":[{"path":"a.txt","content":"' + 'y'.repeat(600));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 5) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await json(
      app.request('/api/modifications', {
        method: 'POST',
        body,
        duplex: 'half',
        headers: { authorization: `Bearer ${TOKENS.agent.secret}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      } as RequestInit),
    );
    expect([res.status, res.body.error.code]).toEqual([413, 'BODY_TOO_LARGE']);
    const after = await h.store.db.selectFrom('modifications').select(({ fn }) => fn.countAll().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toEqual(before.n);
  });

  it('refuses writes from a foreign Origin or a cross-site fetch with 403 ORIGIN_FORBIDDEN, and accepts its own origin', async () => {
    const foreign = await json(h.request('/api/goals', { as: 'agent', json: { title: 'csrf' }, headers: { origin: 'https://evil.example' } }));
    expect([foreign.status, foreign.body.error.code]).toEqual([403, 'ORIGIN_FORBIDDEN']);
    const crossSite = await json(h.request('/api/goals', { as: 'agent', json: { title: 'csrf' }, headers: { 'sec-fetch-site': 'cross-site' } }));
    expect(crossSite.status).toBe(403);
    const own = await json(h.request('/api/goals', { as: 'agent', json: { title: 'same origin' }, headers: { origin: 'http://localhost' } }));
    expect(own.status).toBe(201);
    const allowed = appWith({ allowedOrigins: ['https://proxy.example'], rateLimit: false });
    const viaProxy = await allowed.request('/api/goals', {
      method: 'POST',
      body: JSON.stringify({ title: 'via proxy' }),
      headers: { authorization: `Bearer ${TOKENS.agent.secret}`, 'content-type': 'application/json', origin: 'https://proxy.example' },
    });
    expect(viaProxy.status).toBe(201);
  });

  it('requires JSON on writes: a form or text body is 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
      const res = await json(h.request('/api/goals', { as: 'agent', body: 'title=x', headers: { 'content-type': type } }));
      expect([type, res.status, res.body.error.code]).toEqual([type, 415, 'UNSUPPORTED_MEDIA_TYPE']);
    }
    const malformed = await json(h.request('/api/goals', { as: 'agent', body: '{"title":', headers: { 'content-type': 'application/json' } }));
    expect([malformed.status, malformed.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('limits each token: past the burst it answers 429 RATE_LIMITED with Retry-After, and refills with time', async () => {
    let now = 1_000_000;
    const app = appWith({ rateLimit: { burst: 3, perSecond: 0.5 }, now: () => now });
    const get = (secret: string) => app.request('/api/goals', { headers: { authorization: `Bearer ${secret}` } });
    for (let i = 0; i < 3; i++) expect((await get(TOKENS.viewer.secret)).status).toBe(200);
    const limited = await json(get(TOKENS.viewer.secret));
    expect([limited.status, limited.body.error.code]).toEqual([429, 'RATE_LIMITED']);
    expect(limited.headers.get('retry-after')).toBe('2');
    expect((await get(TOKENS.agent.secret)).status).toBe(200);
    now += 2000;
    expect((await get(TOKENS.viewer.secret)).status).toBe(200);
    // /health is not limited.
    for (let i = 0; i < 5; i++) expect((await app.request('/health')).status).toBe(200);
  });
});

describe('without configured tokens', () => {
  it('serves reads to anyone and refuses every write with 401 saying how to set TETHER_TOKENS', async () => {
    const app = appWith({ tokens: [], rateLimit: false });
    expect((await app.request('/api/goals')).status).toBe(200);
    expect(await (await app.request('/api/me')).json()).toEqual({ name: 'anonymous', role: 'anonymous' });
    const res = await json(app.request('/api/goals', { method: 'POST', body: JSON.stringify({ title: 'x' }), headers: { 'content-type': 'application/json' } }));
    expect([res.status, res.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
    expect(res.body.error.message).toContain('TETHER_TOKENS');
  });
});

describe('tasks, ledger and inspection', () => {
  it('lists tasks filtered by status and goal', async () => {
    const task = await enqueueTask(h.store.db, { type: 'HTTP_TEST_TASK', payload: { n: 1 }, delayMs: 3_600_000 });
    const { body } = await json(h.request('/api/tasks?status=queued', { as: 'viewer' }));
    expect(body.tasks.find((t: { id: string }) => t.id === task.id)).toMatchObject({ type: 'HTTP_TEST_TASK', status: 'queued', payload: { n: 1 } });
    expect((await json(h.request('/api/tasks?limit=0'))).status).toBe(400);
  });

  it('pages the ledger with after and limit, filters by type and subject, and verifies it', async () => {
    const first = await json(h.request('/api/ledger?limit=2', { as: 'viewer' }));
    expect(first.body.entries.length).toBe(2);
    expect(first.body.next).toBe(first.body.entries[1].seq);
    const second = await json(h.request(`/api/ledger?limit=2&after=${first.body.next}`));
    expect(second.body.entries[0].seq).toBe(first.body.next + 1);
    const refusals = await json(h.request('/api/ledger?type=auth.refused&limit=1000'));
    expect(refusals.body.entries.length).toBeGreaterThan(0);
    expect(refusals.body.entries.every((e: { type: string }) => e.type === 'auth.refused')).toBe(true);
    const m = (await json(h.request('/api/modifications?limit=1'))).body.modifications[0];
    const bySubject = await json(h.request(`/api/ledger?subject=${m.id}`));
    expect(bySubject.body.entries[0].type).toBe('modification.proposed');
    const verify = await json(h.request('/api/ledger/verify'));
    expect(verify.body.ok).toBe(true);
    expect((await json(h.request('/api/ledger?after=-1'))).status).toBe(400);
  });

  it('lists live actors with systemId, machine and state', async () => {
    const { body } = await json(h.request('/api/actors', { as: 'viewer' }));
    expect(body.actors.find((a: { systemId: string }) => a.systemId === 'codeAccess')).toMatchObject({ machine: 'codeAccess', status: 'active' });
    expect(body.actors.find((a: { systemId: string }) => a.systemId === 'tether')).toMatchObject({ state: 'running' });
  });

  it('serves statechart definitions that name their states, and 404 for an unknown machine', async () => {
    const names = (await json(h.request('/api/machines'))).body.machines;
    expect(names).toEqual(expect.arrayContaining(['tether', 'modification', 'codeAccess']));
    const def = (await json(h.request('/api/machines/modification'))).body;
    expect(def.id).toBe('modification');
    expect(Object.keys(def.states)).toEqual(expect.arrayContaining(['proposed', 'branched', 'tested', 'approved', 'merged']));
    expect((await json(h.request('/api/machines/nope'))).body.error.code).toBe('NOT_FOUND');
  });
});

describe('the API description and the page', () => {
  it('documents every mounted route in OpenAPI 3.1 with its access, parameters and body schema', async () => {
    const doc = (await json(h.request('/openapi.json', { as: 'none' }))).body;
    expect(doc.openapi).toBe('3.1.0');
    const documented = new Set<string>();
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(ops)) documented.add(`${method.toUpperCase()} ${path}`);
    }
    const mounted = new Set(
      (h.app as unknown as { routes: { method: string; path: string }[] }).routes
        .filter((r) => r.method !== 'ALL')
        .map((r) => `${r.method} ${r.path.replace(/:(\w+)/g, '{$1}')}`),
    );
    expect([...documented].sort()).toEqual([...mounted].sort());
    for (const spec of ['GET /health', 'GET /api/actors', 'GET /api/machines/{name}', 'POST /api/goals/{id}/approve', 'POST /api/goals/{id}/reject', 'GET /api/modifications/{id}/diff', 'POST /api/modifications/{id}/approve', 'POST /api/modifications/{id}/reject', 'GET /api/tasks', 'GET /api/ledger/verify', 'GET /openapi.json', 'GET /']) {
      expect(documented.has(spec), spec).toBe(true);
    }
    const submit = doc.paths['/api/modifications'].post;
    expect(submit.requestBody.content['application/json'].schema.properties.changes.type).toBe('array');
    expect(submit.responses['422'].description).toContain('PATH_DENIED');
    expect(doc.paths['/api/modifications/{id}/approve'].post.parameters.map((p: { name: string }) => p.name)).toEqual(['id', 'Idempotency-Key']);
    expect(doc.paths['/api/goals'].get.parameters.find((p: { name: string }) => p.name === 'status').schema.enum).toContain('proposed');
  });

  it('serves the review page self-contained under a nonce CSP, with no external resource', async () => {
    const res = await h.request('/', { as: 'none' });
    expect(res.status).toBe(200);
    const html = await res.text();
    const csp = res.headers.get('content-security-policy')!;
    const nonce = /'nonce-([^']+)'/.exec(csp)![1];
    expect(html).toContain(`<script nonce="${nonce}">`);
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(csp).toContain("connect-src 'self'");
  });
});
