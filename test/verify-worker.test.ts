/**
 * The verification worker at the level of a process: a process that verified in the worker,
 * or started it and ended before it loaded, exits by itself (an idle worker must not hold
 * it open: `tether ledger verify` hung this way until the worker was unreferenced after its
 * listeners were added), and the real command verifies a store with it started.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, runCli } from './support/cli.ts';

const src = (path: string) => JSON.stringify(join(ROOT, 'src', path));

const CHILD = `
import { openStore } from ${src('store/open-store.ts')};
import { appendEntry } from ${src('ledger/append-entry.ts')};
import { verifyLedger } from ${src('ledger/verify-ledger.ts')};
import { startVerifyThread, verifyThreadRunning } from ${src('ledger/verify-thread.ts')};
if (process.argv[2] === 'start-only') {
  startVerifyThread();
} else {
  const store = await openStore({ url: 'memory://' });
  for (let i = 0; i < 30; i++) await appendEntry(store.db, { actor: 'child', type: 'exit.check', payload: { i } });
  const result = await verifyLedger(store.db, { worker: true, pageSize: 7 });
  process.stdout.write(JSON.stringify({ ok: result.ok, worker: verifyThreadRunning() }) + '\\n');
  await store.close();
}
`;

/** Runs the child; resolves with its exit and output, or with 'hung' after the bound. */
function runChild(script: string, mode: string): Promise<{ code: number | null; stdout: string; stderr: string } | 'hung'> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, mode], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // A liveness bound, not a speed check: the child needs a few seconds at most.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve('hung');
    }, 45_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the verification worker in a process', () => {
  let dir: string;
  let script: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tether-verify-worker-'));
    script = join(dir, 'child.mts');
    writeFileSync(script, CHILD);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lets the process exit by itself after verifying in the worker', { timeout: 60_000 }, async () => {
    const run = await runChild(script, 'verify');
    expect(run).not.toBe('hung');
    if (run === 'hung') return;
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ ok: true, worker: true });
  });

  it('lets the process exit by itself when it ends while the worker is still loading', { timeout: 60_000 }, async () => {
    const run = await runChild(script, 'start-only');
    expect(run).not.toBe('hung');
    if (run !== 'hung') expect(run.code, run.stderr).toBe(0);
  });

  it('runs `tether ledger verify`, which starts the worker while the store opens, to its end', { timeout: 120_000 }, async () => {
    const data = join(dir, 'data');
    for (let i = 0; i < 2; i++) {
      const run = await runCli(['ledger', 'verify'], { TETHER_DATA_DIR: data }, 60_000);
      expect([run.code, run.stdout.trim()], run.stderr).toEqual([0, 'ledger ok: 0 entries verified, head seq 0']);
    }
  });
});
