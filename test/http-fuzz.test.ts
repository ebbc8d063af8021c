/**
 * Malformed input never makes the API fail with a 5xx: hundreds of broken bodies, query
 * strings, paths and headers (hand-picked and generated with a fixed seed) go through
 * `app.request()`, and every answer is below 500 and, when a refusal, in the error shape.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpHarness, TOKENS, type HttpHarness } from './support/http.ts';

let h: HttpHarness;
beforeAll(async () => {
  h = await httpHarness();
});
afterAll(async () => h?.close());

const WRITE_PATHS = ['/api/goals', '/api/modifications', '/api/goals/goal_x/approve', '/api/goals/goal_x/reject', '/api/modifications/mod_x/approve', '/api/modifications/mod_x/reject'];
const READ_PATHS = ['/api/goals', '/api/modifications', '/api/tasks', '/api/ledger', '/api/goals/goal_x', '/api/modifications/mod_x', '/api/modifications/mod_x/diff', '/api/machines/x'];

interface Probe {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

async function send(p: Probe): Promise<{ probe: Probe; status: number; body: string }> {
  const headers = { authorization: `Bearer ${TOKENS.approver.secret}`, ...p.headers };
  const res = await h.app.request(p.path, { method: p.method, headers, ...(p.body !== undefined ? { body: p.body } : {}) });
  return { probe: p, status: res.status, body: await res.text() };
}

function expectNo5xx(results: { probe: Probe; status: number; body: string }[]): void {
  const failures = results.filter((r) => r.status >= 500);
  expect(failures.map((f) => ({ ...f.probe, body: f.probe.body?.slice(0, 80), status: f.status, answer: f.body.slice(0, 200) }))).toEqual([]);
  for (const r of results.filter((x) => x.status >= 400 && x.status !== 404)) {
    expect(JSON.parse(r.body).error.code, JSON.stringify(r.probe).slice(0, 200)).toMatch(/^[A-Z_]+$/);
  }
}

const HAND_PICKED_BODIES = [
  '',
  '{',
  '}',
  'null',
  'true',
  '0',
  '"string"',
  '[]',
  '[{}]',
  '{"title":null}',
  '{"title":123,"changes":"nope"}',
  '{"title":"x","changes":[null]}',
  '{"title":"x","changes":[{"path":null,"content":1}]}',
  '{"title":"x","changes":[{"path":"a","patch":"@@ nonsense @@"}]}',
  '{"title":"x","changes":[{"path":"a\\u0000b","content":"x"}]}',
  '{"title":"\\ud800","changes":[{"path":"a","content":"x"}]}',
  '{"title":"x","changes":[{"path":"a","content":"\\ud800"}]}',
  '{"title":"x","changes":[{"path":"a","content":"\\u0000"}]}',
  '{"__proto__":{"admin":true},"title":"x"}',
  '{"constructor":{"prototype":{"x":1}}}',
  '{"title":"x","goalId":"../../etc"}',
  '{"title":"x","goalId":"\\u0000"}',
  '{"comment":{"nested":true}}',
  '{"head":"not-a-commit"}',
  '{"head":"' + 'f'.repeat(41) + '"}',
  '{"comment":"' + 'c'.repeat(5000) + '"}',
  '{"title":"' + 't'.repeat(300) + '"}',
  '{"title":"x","changes":[' + Array.from({ length: 1100 }, () => '{"path":"a","delete":true}').join(',') + ']}',
  '[' .repeat(50_000) + ']'.repeat(50_000),
  '{"a":' .repeat(10_000) + '1' + '}'.repeat(10_000),
  '{"title":1e999}',
  '{"title":"x","kind":"UPPER CASE"}',
  '\u0000\u0001\u0002',
  '\ufeff{"title":"bom"}',
  '{"title":"x"}garbage',
];

const HAND_PICKED_PATHS = [
  '/api/goals/%00',
  '/api/goals/%',
  '/api/goals/%zz',
  '/api/goals/%E0%A4%A',
  '/api/goals/%ED%A0%80',
  '/api/goals/..%2F..%2Fetc%2Fpasswd',
  '/api/goals/%2e%2e',
  '/api/modifications/' + 'a'.repeat(5000),
  '/api/modifications/%F0%9F%92%A9',
  '/api/modifications/x/diff/extra',
  '/api//goals',
  '//api/goals',
  '/api/goals/',
  '/api/machines/%00',
  '/api/machines/..',
  '/api/ledger/verify/%ff',
  '/api/modifications/mod_x%00/approve',
  '/%ff%fe',
  '/api/goals?status=%00',
  '/api/goals?status=%ff',
  '/api/goals?status=proposed&status=active',
  '/api/goals?limit=-1',
  '/api/goals?limit=1e400',
  '/api/goals?limit=0x10',
  '/api/goals?limit=99999999999999999999',
  '/api/goals?offset=NaN',
  '/api/modifications?state=%E2%80%AE',
  '/api/modifications?goalId=%00',
  '/api/modifications?limit[]=1',
  '/api/tasks?status=%00',
  '/api/tasks?goalId=' + 'g'.repeat(300),
  '/api/ledger?after=-5',
  '/api/ledger?after=9007199254740993',
  '/api/ledger?subject=%00',
  '/api/ledger?type=%ED%A0%80',
  '/api/ledger?subject=' + 's'.repeat(500),
  '/api/ledger?&&&=&=',
  '/api/ledger?%',
];

const HAND_PICKED_HEADERS: Record<string, string>[] = [
  { authorization: '' },
  { authorization: 'Bearer' },
  { authorization: 'Bearer ' },
  { authorization: 'Bearer a b c' },
  { authorization: `Bearer ${'x'.repeat(10_000)}` },
  { authorization: 'bearer ' + TOKENS.viewer.secret },
  { authorization: 'Token abc' },
  { 'content-type': 'application/json; charset=utf-16' },
  { 'content-type': 'application/json;;;' },
  { 'content-type': 'application/vnd.api+json' },
  { 'content-type': '' },
  { 'idempotency-key': '' },
  { 'idempotency-key': 'k'.repeat(500) },
  { origin: 'null' },
  { origin: 'not a url' },
  { origin: 'http://' },
  { 'sec-fetch-site': 'cross-site', origin: 'http://localhost' },
  { host: '' },
  { host: 'evil.example:99999' },
  { 'content-length': 'abc' },
];

describe('malformed input', () => {
  it('never answers 5xx to hand-picked bodies on any write route', async () => {
    const probes: Probe[] = [];
    for (const path of WRITE_PATHS) {
      for (const body of HAND_PICKED_BODIES) probes.push({ method: 'POST', path, body, headers: { 'content-type': 'application/json' } });
    }
    const results = [];
    for (const p of probes) results.push(await send(p));
    expect(results.length).toBeGreaterThan(200);
    expectNo5xx(results);
  });

  it('never answers 5xx to hand-picked paths, query strings and headers', async () => {
    const probes: Probe[] = [];
    for (const path of HAND_PICKED_PATHS) for (const method of ['GET', 'POST', 'DELETE', 'PUT']) probes.push({ method, path, ...(method === 'POST' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}) });
    for (const headers of HAND_PICKED_HEADERS) {
      probes.push({ method: 'GET', path: '/api/goals', headers });
      probes.push({ method: 'POST', path: '/api/goals/goal_x/approve', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });
      probes.push({ method: 'POST', path: '/api/modifications/mod_x/approve', headers: { 'content-type': 'application/json', ...headers }, body: '{"comment":"x"}' });
    }
    const results = [];
    for (const p of probes) results.push(await send(p));
    expectNo5xx(results);
  });

  it('never answers 5xx to generated bodies, query strings, paths and headers', async () => {
    const json = fc.jsonValue({ maxDepth: 4 });
    const unicode = fc.string({ unit: 'binary', maxLength: 40 });
    const probe = fc.oneof(
      fc.record({ path: fc.constantFrom(...WRITE_PATHS), body: fc.oneof(json.map((v) => JSON.stringify(v)), unicode) }).map((r) => ({ method: 'POST', path: r.path, body: r.body, headers: { 'content-type': 'application/json' } })),
      fc
        .record({ path: fc.constantFrom('/api/goals', '/api/modifications'), body: fc.record({ title: unicode, reason: unicode, goalId: unicode, changes: fc.array(fc.record({ path: unicode, content: unicode }), { maxLength: 2 }) }, { requiredKeys: [] }) })
        .map((r) => ({ method: 'POST', path: r.path, body: JSON.stringify(r.body), headers: { 'content-type': 'application/json' } })),
      fc
        .record({ path: fc.constantFrom(...READ_PATHS), key: fc.constantFrom('status', 'state', 'limit', 'offset', 'after', 'subject', 'type', 'goalId', 'x'), value: unicode })
        .map((r) => ({ method: 'GET', path: `${r.path}?${r.key}=${encodeURIComponent(r.value).replace(/%25/g, '%')}` })),
      fc
        .record({ base: fc.constantFrom('/api/goals/', '/api/modifications/', '/api/machines/', '/api/modifications/x/'), segment: unicode })
        .map((r) => ({ method: 'GET', path: r.base + encodeURIComponent(r.segment).replace(/%25/g, '%') })),
      fc
        .record({ name: fc.constantFrom('authorization', 'content-type', 'idempotency-key', 'origin', 'sec-fetch-site'), value: fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((n) => String.fromCharCode(n)), maxLength: 60 }) })
        .map((r) => ({ method: 'POST', path: '/api/modifications/mod_x/approve', body: '{}', headers: { 'content-type': 'application/json', [r.name]: r.value } })),
    );
    const probes = fc.sample(probe, { numRuns: 400, seed: 7 }) as Probe[];
    const results = [];
    for (const p of probes) {
      try {
        results.push(await send(p));
      } catch (error) {
        // The Request constructor itself refuses some URLs: the server never sees those.
        if (!(error instanceof TypeError)) throw error;
      }
    }
    expect(results.length).toBeGreaterThan(300);
    expectNo5xx(results);
  });
});
