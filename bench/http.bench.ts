/**
 * The HTTP API beside bare node:http, in one run: GET /health and GET /api/modifications
 * (100 rows) at 50 concurrent keep-alive connections over loopback, throughput and p99.
 * Both servers do the same work per request (the same store query, the same JSON); Tether's
 * side adds what it really runs: secure headers, bearer auth (constant-time), the per-token
 * rate limiter (set high enough not to refuse), the body limit, the CSRF guard and zod
 * validation of the query. Target: Tether ≥ 70% of bare throughput.
 */
import { createServer, type Server } from 'node:http';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { createActor, type AnyStateMachine } from 'xstate';
import { CodeAccess } from '../src/code-access/code-access.ts';
import { listModifications } from '../src/code-access/modification-store.ts';
import { createRepo } from '../src/code-access/repo.ts';
import { resolveConfig } from '../src/config.ts';
import { nodeFs } from '../src/git/node-fs.ts';
import { createApp } from '../src/http/app.ts';
import { newId } from '../src/ids.ts';
import { systemClock } from '../src/ports/clock.ts';
import { openStore, type Store } from '../src/store/open-store.ts';
import { tetherMachine } from '../machines/tether.ts';
import type { BenchRow, BenchSection } from './types.ts';

const CONNECTIONS = 50;
const WARMUP_MS = 1000;
const MEASURE_MS = 2000;
/** Rounds per server, interleaved, so a burst of load from elsewhere hits both alike; the median counts. */
const ROUNDS = 3;
const SECRET = 'bench-viewer-secret-0123456789';

async function seed(store: Store): Promise<void> {
  const goalId = newId('goal');
  await store.db
    .insertInto('goals')
    .values({ id: goalId, title: 'bench', description: '', kind: 'request', status: 'active', source: 'user', created_by: 'bench', proposal_id: null, auto_approved: false, priority: 0, evidence: '{}', fingerprint: null, detector: null, confidence: null })
    .execute();
  const rows = Array.from({ length: 100 }, (_, i) => ({
    id: newId('mod'),
    goal_id: goalId,
    title: `Modification ${i}: make add add`,
    reason: 'add subtracts; the task failed 3 times in 24 hours',
    author: 'agent-a',
    // Finished, so no code-access actor picks them up.
    state: 'merged',
    branch: `tether/${goalId}/mod_${i}`,
    target_ref: 'refs/heads/main',
    base_commit: 'a'.repeat(40),
    head_commit: 'b'.repeat(40),
    merge_commit: 'c'.repeat(40),
    changes: '[]',
    files: JSON.stringify(['src/math.js', 'test/math.test.js']),
    test_result: JSON.stringify({ exitCode: 0, durationMs: 812, outputTail: 'ok 12 tests\n', timedOut: false, command: 'npm test' }),
    conflict_paths: null,
    error: null,
    expires_at: null,
    lease_owner: null,
    lease_expires_at: null,
  }));
  await store.db.insertInto('modifications').values(rows).execute();
}

interface Load {
  rps: number;
  p99: number;
  errors: number;
}

/** 50 workers over one keep-alive agent, each sending the next request when the last ends. */
async function load(port: number, path: string, headers: Record<string, string>, ms: number): Promise<Load> {
  const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + ms;
  const one = () =>
    new Promise<void>((resolve) => {
      const started = performance.now();
      const req = request({ host: '127.0.0.1', port, path, agent, headers }, (res) => {
        res.on('data', () => {});
        res.on('end', () => {
          if (res.statusCode === 200) latencies.push(performance.now() - started);
          else errors++;
          resolve();
        });
      });
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end();
    });
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < deadline) await one();
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  return { rps: latencies.length / elapsed, p99: latencies[Math.floor(latencies.length * 0.99)] ?? NaN, errors };
}

/** The round with the median throughput (its p99 goes with it). */
function median(rounds: Load[]): Load {
  const sorted = [...rounds].sort((x, y) => x.rps - y.rps);
  const mid = sorted[Math.floor(sorted.length / 2)]!;
  return { ...mid, errors: rounds.reduce((n, r) => n + r.errors, 0) };
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

export default async function httpBench(): Promise<BenchSection> {
  const store = await openStore({ url: 'memory://' });
  await seed(store);
  const config = resolveConfig({ tokens: [{ name: 'bench', role: 'viewer', secret: SECRET }] });
  const repo = createRepo({ fs: nodeFs, dir: mkdtempSync(join(tmpdir(), 'tether-bench-http-')) });
  // The root statechart with its idle placeholder children: /api/actors has something to list.
  const system = createActor(tetherMachine as AnyStateMachine, { systemId: 'tether' }).start();
  const services = {
    config,
    store,
    clock: systemClock,
    processId: 'bench',
    codeAccess: new CodeAccess({ db: store.db, repo, now: () => Date.now(), actor: () => undefined }),
  };
  const app = createApp({ services, system } as Parameters<typeof createApp>[0], { rateLimit: { burst: 1e9, perSecond: 1e9 } });
  const hono = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }) as Server;
  await new Promise<void>((resolve) => (hono.listening ? resolve() : hono.once('listening', () => resolve())));
  const honoPort = (hono.address() as AddressInfo).port;

  // The baseline: node:http doing the same query and writing the same JSON, nothing else.
  const bare = createServer(async (req, res) => {
    let body: unknown;
    if (req.url === '/health') {
      const started = performance.now();
      await store.db.selectFrom('ledger_head').select('seq').executeTakeFirst();
      body = { status: 'ok', store: store.backend, dbMs: Math.round(performance.now() - started) };
    } else {
      body = { modifications: await listModifications(store.db, { limit: 100 }) };
    }
    const text = JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  });
  const barePort = await listen(bare);

  const auth = { authorization: `Bearer ${SECRET}` };
  const rows: BenchRow[] = [];
  const notes: string[] = [];
  for (const [label, path] of [
    ['GET /health', '/health'],
    ['GET /api/modifications (100 rows)', '/api/modifications?limit=100'],
  ] as const) {
    await load(honoPort, path, auth, WARMUP_MS);
    await load(barePort, path, {}, WARMUP_MS);
    const ts: Load[] = [];
    const bs: Load[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      ts.push(await load(honoPort, path, auth, MEASURE_MS));
      bs.push(await load(barePort, path, {}, MEASURE_MS));
    }
    const t = median(ts);
    const b = median(bs);
    rows.push({ case: `${label}, ${CONNECTIONS} connections`, tether: t.rps, baseline: b.rps, baselineName: 'bare node:http', unit: 'req/s', target: '≥ 0.70×', higherIsBetter: true });
    rows.push({ case: `${label} p99, ${CONNECTIONS} connections`, tether: t.p99, baseline: b.p99, baselineName: 'bare node:http', unit: 'ms', higherIsBetter: false });
    if (t.errors || b.errors) notes.push(`${label}: ${t.errors} failed requests on Tether, ${b.errors} on bare`);
  }
  notes.push(
    `Load average during the run: ${loadavg().map((n) => n.toFixed(1)).join(', ')} on ${cpus().length} cores (other work on the machine slows both sides).`,
    `Each figure: the median of ${ROUNDS} interleaved rounds of ${MEASURE_MS / 1000} s after ${WARMUP_MS / 1000} s of warm-up, ${CONNECTIONS} concurrent keep-alive requests from an in-process client over loopback (client and servers share the machine's cores).`,
    'Both servers run the same store query (in-memory PGlite) and JSON; Tether adds secure headers, bearer auth, rate limiting, the body limit, the CSRF guard and zod validation.',
  );

  await new Promise<void>((resolve) => hono.close(() => resolve()));
  await new Promise<void>((resolve) => bare.close(() => resolve()));
  system.stop();
  await store.close();
  return { title: 'HTTP API: Hono beside bare node:http', rows, notes };
}
