import { rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exited, freePort, runCli, startCli } from './support/cli.ts';
import { git, tempDir } from './git-fixtures.ts';

async function waitForLine(output: () => { stdout: string; stderr: string }, pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = output().stdout.match(pattern);
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${output().stdout}\n${output().stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('tether demo', () => {
  it('runs without a terminal from a failing task to a merge approved over HTTP, and the ledger verifies', { timeout: 300_000 }, async () => {
    const dataDir = tempDir('tether-demo-');
    const port = freePort();
    const secret = 'demo-test-approver-secret';
    const env = { TETHER_DATA_DIR: dataDir, TETHER_PORT: String(port), TETHER_TOKENS: `reviewer:approver:${secret}` };
    const demo = startCli(['demo'], env);
    try {
      const waiting = await waitForLine(demo.output, /modification (mod_\w+) tested on branch (\S+): waiting for approval/, 240_000);
      const id = waiting[1]!;
      expect(demo.output().stdout).toContain(`npx tether approve ${id}`);
      expect(demo.output().stdout).toContain(`http://127.0.0.1:${port}/`);

      const res = await fetch(`http://127.0.0.1:${port}/api/modifications/${id}/approve`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${secret}`, 'Content-Type': 'application/json' },
        body: '{}',
      });
      expect(res.status).toBe(200);
      await waitForLine(demo.output, new RegExp(`modification ${id} merged`), 60_000);
      await waitForLine(demo.output, /demo: goal \S+ achieved/, 30_000);
      await waitForLine(demo.output, /ledger verify: ok/, 30_000);
      expect(git(`${dataDir}/demo`, 'log', '-1', '--format=%(trailers:key=Tether-Approved-By,valueonly)', 'main')).toBe('reviewer');

      demo.kill('SIGTERM');
      expect(await exited(demo)).toEqual({ code: 0, signal: null });
      const status = await runCli(['status', '--json'], { TETHER_DATA_DIR: dataDir });
      expect(JSON.parse(status.stdout)).toMatchObject({ goals: { achieved: 1 }, modifications: { merged: 1 } });
      const verify = await runCli(['ledger', 'verify'], { TETHER_DATA_DIR: dataDir });
      expect(verify.stdout).toMatch(/^ledger ok: \d+ entries verified/);
      expect(verify.code).toBe(0);
    } finally {
      demo.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
