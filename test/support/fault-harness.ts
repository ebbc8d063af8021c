/**
 * The crash suite's world: a real repository with a checked-out working tree (holding a
 * person's uncommitted edits), a store (embedded PGlite in a data dir, or a fresh
 * PostgreSQL database), and a real `tether serve` child that the suite starts, drives over
 * HTTP, SIGKILLs and restarts. Every 2xx answer is remembered as acknowledged, so the
 * checks afterwards can demand it.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeRepo, type DiskRepo } from '../git-fixtures.ts';
import { exited, freePort, startCli, waitForHttp } from './cli.ts';
import { waitUntil } from './cluster.ts';
import { createPostgresDatabase } from './stores.ts';

export type BackendName = 'embedded' | 'postgres';

export const AGENT = { name: 'agent-a', secret: 'fault-agent-secret-0123456789' };
export const AGENT2 = { name: 'agent-b', secret: 'fault-agent2-secret-0123456789' };
export const APPROVER = { name: 'alice', secret: 'fault-alice-secret-0123456789' };
export const VIEWER = { name: 'vera', secret: 'fault-viewer-secret-0123456789' };
const TOKENS = `${AGENT.name}:agent:${AGENT.secret},${AGENT2.name}:agent:${AGENT2.secret},${APPROVER.name}:approver:${APPROVER.secret},${VIEWER.name}:viewer:${VIEWER.secret}`;

/** The repository's own tests: pass unless a change breaks `add`; slow enough to catch `branched`. */
export const WORLD_FILES = {
  'package.json': '{"name":"world","scripts":{"test":"node check.js"}}\n',
  'check.js':
    "const { add } = require('./src/math.js');\n" +
    "const wait = Number(process.env.CHECK_DELAY_MS || 0);\n" +
    "setTimeout(() => { if (add(2, 2) !== 4) { console.error('add is broken'); process.exit(1); } console.log('ok'); }, wait);\n",
  'src/math.js': 'exports.add = (a, b) => a + b;\n',
  'README.md': 'world\n',
  'docs/guide.md': 'guide\n',
};
/** A person's work in progress: Tether must never touch it. */
export const USER_EDITS = { 'README.md': 'world, edited by a person and not committed\n', 'scratch.txt': 'untracked notes\n' };

export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export interface World {
  backend: BackendName;
  disk: DiskRepo;
  /** The last commit made on main outside Tether (by the test); every later one must be a merge. */
  base: string;
  dataDir: string;
  databaseUrl?: string;
  /** The env every `tether` command of this world runs with. */
  env: Record<string, string>;
  /** The running server, if any. */
  server: Server | undefined;
  /** Starts `tether serve`; `failpoints` arms TETHER_FAILPOINTS for this run only. */
  start(options?: { failpoints?: string; env?: Record<string, string> }): Promise<Server>;
  /** SIGKILLs the server (if still alive) and waits for it to be gone. */
  kill(): Promise<void>;
  /** SIGTERM and wait: a clean stop. */
  stop(): Promise<void>;
  acked: Acked;
  kills: number;
  dispose(): Promise<void>;
}

/** What the server acknowledged with a 2xx. */
export interface Acked {
  goals: Map<string, string>; // id → title
  modifications: Map<string, string>; // id → title
  approvals: Set<string>; // modification ids
}

export interface Server {
  port: number;
  child: ReturnType<typeof startCli>;
  /** Resolves when the process has exited, however. */
  gone: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  call<T = any>(method: string, path: string, as?: { secret: string } | null, body?: unknown, headers?: Record<string, string>): Promise<Answer<T>>;
}

export async function createWorld(backend: BackendName, extraEnv: Record<string, string> = {}): Promise<World> {
  const disk = makeRepo(WORLD_FILES, 'world');
  for (const [path, content] of Object.entries(USER_EDITS)) writeFileSync(join(disk.dir, path), content);
  const dataDir = join(disk.root, 'data');
  const database = backend === 'postgres' ? await createPostgresDatabase('tether_fault') : undefined;
  const env: Record<string, string> = {
    TETHER_REPO: disk.dir,
    TETHER_DATA_DIR: dataDir,
    TETHER_TOKENS: TOKENS,
    TETHER_TEST_COMMAND: 'node check.js',
    TETHER_LEASE_MS: '2000',
    ...(database ? { TETHER_DATABASE_URL: database.url } : {}),
    ...extraEnv,
  };
  const acked: Acked = { goals: new Map(), modifications: new Map(), approvals: new Set() };
  const world: World = {
    backend,
    disk,
    base: disk.head,
    dataDir,
    ...(database ? { databaseUrl: database.url } : {}),
    env,
    server: undefined,
    acked,
    kills: 0,
    async start(options = {}) {
      if (world.server) throw new Error('a server is already running');
      world.server = await startServer({ ...env, ...(options.failpoints ? { TETHER_FAILPOINTS: options.failpoints } : {}), ...options.env }, acked);
      return world.server;
    },
    async kill() {
      const server = world.server;
      if (!server) return;
      world.server = undefined;
      if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
      const { signal } = await server.gone;
      if (signal === 'SIGKILL') world.kills++;
    },
    async stop() {
      const server = world.server;
      if (!server) return;
      world.server = undefined;
      server.child.kill('SIGTERM');
      const timer = setTimeout(() => server.child.kill('SIGKILL'), 30_000);
      const { code, signal } = await server.gone;
      clearTimeout(timer);
      if (signal === 'SIGKILL') world.kills++;
      else if (code !== 0) throw new Error(`tether serve exited with ${code}: ${server.child.output().stderr.slice(-2000)}`);
    },
    async dispose() {
      await world.kill();
      await database?.drop();
      disk.cleanup();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return world;
}

async function startServer(env: Record<string, string>, acked: Acked): Promise<Server> {
  const port = freePort();
  const child = startCli(['serve'], { ...env, TETHER_PORT: String(port) });
  const gone = exited(child);
  const died = gone.then(({ code, signal }) => {
    throw new Error(`tether serve exited (${code ?? signal}) before answering: ${child.output().stderr.slice(-3000)}`);
  });
  try {
    await Promise.race([waitForHttp(`http://127.0.0.1:${port}/health`, 120_000), died]);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  died.catch(() => {});
  const server: Server = {
    port,
    child,
    gone,
    async call(method, path, as, body, headers = {}) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: {
          ...(as ? { Authorization: `Bearer ${as.secret}` } : {}),
          ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
          ...headers,
        },
        ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON (the review page): keep the text
      }
      const answer = { status: res.status, body: parsed as any, headers: res.headers };
      remember(acked, method, path, answer);
      return answer;
    },
  };
  return server;
}

/** Records the acknowledged writes, by what the answer says was created or decided. */
function remember(acked: Acked, method: string, path: string, answer: Answer): void {
  if (method !== 'POST' || answer.status < 200 || answer.status >= 300) return;
  if (path === '/api/goals') acked.goals.set(answer.body.id, answer.body.title);
  else if (path === '/api/modifications') acked.modifications.set(answer.body.id, answer.body.title);
  else if (/^\/api\/modifications\/[^/]+\/approve$/.test(path)) acked.approvals.add(path.split('/')[3]!);
}

/** Polls until `check` gives a value, or throws after `timeoutMs` saying what it waited for. */
export function eventually<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  return waitUntil(what, check, timeoutMs, 150);
}

/** A small seeded PRNG (mulberry32), so a random schedule can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
