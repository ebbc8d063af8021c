/**
 * A Tether runtime for HTTP tests: an in-memory store from the template, a real git
 * repository (native git CLI) whose tests pass once `add` is fixed, and tokens of every
 * role. Requests go through `app.request()` with no server.
 */
import type { Hono } from 'hono';
import { resolveConfig, type TokenConfig } from '../../src/config.ts';
import { createRepo } from '../../src/code-access/repo.ts';
import type { Modification } from '../../src/code-access/modification-store.ts';
import { nodeFs } from '../../src/git/node-fs.ts';
import type { HttpOptions } from '../../src/http/app.ts';
import { createTether, type Tether } from '../../src/runtime/create-tether.ts';
import type { Store } from '../../src/store/open-store.ts';
import { makeRepo, tempDir, type DiskRepo } from '../git-fixtures.ts';
import { openPGliteTestStore } from './stores.ts';

export const FILES = {
  'package.json': '{"name":"sample","scripts":{"test":"node check.js"}}\n',
  'check.js': "const { add } = require('./src/math.js');\nif (add(2, 2) !== 4) { console.error('add is broken'); process.exit(1); }\nconsole.log('ok');\n",
  'src/math.js': 'exports.add = (a, b) => a - b;\n',
  'README.md': 'sample\n',
};
export const FIX = 'exports.add = (a, b) => a + b;\n';

export const TOKENS = {
  viewer: { name: 'vera', role: 'viewer', secret: 'viewer-secret-0123456789' },
  agent: { name: 'agent-a', role: 'agent', secret: 'agent-secret-0123456789' },
  approver: { name: 'alice', role: 'approver', secret: 'alice-secret-0123456789' },
  approver2: { name: 'bob', role: 'approver', secret: 'bob-secret-0123456789ab' },
} satisfies Record<string, TokenConfig>;

export type As = keyof typeof TOKENS | 'none';

export interface HttpHarness {
  tether: Tether;
  app: Hono;
  store: Store;
  disk: DiskRepo;
  /** A request as `as` (a role's token, or none); a JSON body sets the content type. */
  request(path: string, init?: { as?: As; method?: string; json?: unknown; headers?: Record<string, string>; body?: BodyInit }): Promise<Response>;
  /** Submits the fix as the agent and waits until it is tested. */
  testedModification(title?: string): Promise<Modification>;
  close(): Promise<void>;
}

export async function httpHarness(options: { tokens?: TokenConfig[]; http?: HttpOptions; store?: Store } = {}): Promise<HttpHarness> {
  const store = options.store ?? (await openPGliteTestStore());
  const disk = makeRepo(FILES);
  const repo = createRepo({
    fs: nodeFs,
    dir: disk.dir,
    testCommand: 'node check.js',
    sandboxRoot: tempDir('tether-sandbox-'),
    hasWorktree: true,
    maxOpenBranches: 1000,
  });
  const config = resolveConfig({ tokens: options.tokens ?? Object.values(TOKENS), 'data-dir': tempDir('tether-data-') });
  const tether = await createTether({ config, store, repo, http: options.http ?? { rateLimit: false } });
  const request: HttpHarness['request'] = (path, init = {}) => {
    const headers: Record<string, string> = { ...init.headers };
    const as = init.as ?? 'approver';
    if (as !== 'none') headers.authorization = `Bearer ${TOKENS[as].secret}`;
    let body = init.body;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers['content-type'] ??= 'application/json';
    }
    return Promise.resolve(tether.app.request(path, { method: init.method ?? (body !== undefined ? 'POST' : 'GET'), headers, ...(body !== undefined ? { body } : {}) }));
  };
  return {
    tether,
    app: tether.app as Hono,
    store,
    disk,
    request,
    async testedModification(title = 'Fix add') {
      const res = await request('/api/modifications', { as: 'agent', json: { title, reason: 'add subtracts', changes: [{ path: 'src/math.js', content: FIX }] } });
      if (res.status !== 201) throw new Error(`submit answered ${res.status}: ${await res.text()}`);
      const m = (await res.json()) as Modification;
      return tether.services.codeAccess.waitFor(m.id, ['tested', 'failed'], 30_000);
    },
    async close() {
      await tether.stop();
      if (!options.store) await store.close();
      disk.cleanup();
    },
  };
}
