/**
 * `tether approve` and `tether reject` talk to a running server over HTTP with the token
 * from TETHER_TOKEN or --token, and say clearly what went wrong.
 */
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main, type CliIo } from '../src/cli/main.ts';
import { freePort } from './support/cli.ts';
import { httpHarness, FILES, TOKENS, type HttpHarness } from './support/http.ts';
import { makeRepo, tempDir } from './git-fixtures.ts';

let h: HttpHarness;
let server: ServerType;
let port: number;

beforeAll(async () => {
  h = await httpHarness();
  port = await new Promise<number>((resolve) => {
    server = serve({ fetch: h.tether.app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => resolve(info.port));
  });
});
afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await h?.close();
});

async function tether(args: string[], env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    env: { TETHER_HOST: '127.0.0.1', TETHER_PORT: String(port), TETHER_LOG_LEVEL: 'error', ...env },
    listener: { listen: () => Promise.reject(new Error('not used')) },
    stopSignal: () => new Promise(() => {}),
  };
  const code = await main(args, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('tether approve and reject', () => {
  it('approves with TETHER_TOKEN and waits for the merge', async () => {
    const m = await h.testedModification('Approved from the CLI');
    const result = await tether(['approve', m.id, '--comment', 'looks right', '--wait'], { TETHER_TOKEN: TOKENS.approver.secret });
    expect(result.err).toBe('');
    expect(result.out).toContain(`Approved ${m.id} at ${m.head}`);
    expect(result.out).toContain(`${m.id} is merged`);
    expect(result.code).toBe(0);
  });

  it('rejects with --token', async () => {
    const m = await h.testedModification('Rejected from the CLI');
    const result = await tether(['reject', m.id, '--token', TOKENS.approver2.secret]);
    expect([result.code, result.out]).toEqual([0, `Rejected ${m.id}.`]);
    expect((await h.tether.services.codeAccess.get(m.id)).state).toBe('rejected');
  });

  it('explains a missing token, a refused role, an unknown id and an unreachable server', async () => {
    expect((await tether(['approve', 'mod_x'])).err).toContain('Set TETHER_TOKEN');
    const agent = await tether(['approve', 'mod_x'], { TETHER_TOKEN: TOKENS.agent.secret });
    expect([agent.code, agent.err]).toEqual([1, expect.stringContaining('ROLE_FORBIDDEN')]);
    const unknown = await tether(['approve', 'mod_missing'], { TETHER_TOKEN: TOKENS.approver.secret });
    expect([unknown.code, unknown.err]).toEqual([1, expect.stringContaining('NOT_FOUND')]);
    const away = await tether(['approve', 'mod_x', '--url', `http://127.0.0.1:${freePort()}`], { TETHER_TOKEN: TOKENS.approver.secret });
    expect([away.code, away.err]).toEqual([1, expect.stringContaining('cannot reach Tether')]);
    expect((await tether(['approve'], { TETHER_TOKEN: 'x' })).code).toBe(2);
  });
});

describe('tether serve', () => {
  it('refuses to start without tokens on a non-loopback host, saying how to set TETHER_TOKENS', async () => {
    const result = await tether(['serve', '--host', '0.0.0.0'], { TETHER_DATABASE_URL: 'memory://' });
    expect(result.code).toBe(2);
    expect(result.err).toContain('TETHER_TOKENS=name:role:secret');
  });

  it('starts with --inspect, runs the WebSocket inspector relay, and stops cleanly', async () => {
    const disk = makeRepo(FILES);
    const inspectPort = freePort();
    let bridge = '';
    const out: string[] = [];
    const code = await main(['serve', '--inspect', '--inspect-port', String(inspectPort), '--port', '0'], {
      out: (line) => out.push(line),
      err: () => {},
      env: { TETHER_DATABASE_URL: 'memory://', TETHER_REPO: disk.dir, TETHER_DATA_DIR: tempDir('tether-data-'), TETHER_LOG_LEVEL: 'error', TETHER_TOKENS: `alice:approver:${TOKENS.approver.secret}` },
      listener: { listen: async () => ({ port: 1, close: async () => {} }) },
      stopSignal: async () => {
        bridge = await (await fetch(`http://127.0.0.1:${inspectPort}/`)).text();
        return 'SIGTERM';
      },
    });
    disk.cleanup();
    expect(code).toBe(0);
    expect(out.join('\n')).toContain(`Inspector: open http://localhost:${inspectPort}`);
    expect(bridge).toContain(`ws://localhost:${inspectPort}`);
  });
});
