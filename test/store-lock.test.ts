import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exited, freePort, runCli, startCli, waitForHttp } from './support/cli.ts';

describe('the embedded store lock', () => {
  it('refuses a second process with STORE_LOCKED while the first keeps working, and the first exits by itself on SIGTERM', { timeout: 240_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tether-lock-'));
    const port = freePort();
    const env = { TETHER_DATA_DIR: dir, TETHER_PORT: String(port) };
    const server = startCli(['serve'], env);
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health`, 90_000);

      const second = await runCli(['migrate'], env);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain('STORE_LOCKED');

      const health = await fetch(`http://127.0.0.1:${port}/health`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ status: 'ok', store: 'pglite' });

      server.kill('SIGTERM');
      expect(await exited(server)).toEqual({ code: 0, signal: null });

      // Released on exit: the store opens again.
      const third = await runCli(['migrate'], env);
      expect(third.code).toBe(0);
    } finally {
      server.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('takes over a lock left by a process that was killed', { timeout: 240_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tether-lock-'));
    const port = freePort();
    const env = { TETHER_DATA_DIR: dir, TETHER_PORT: String(port) };
    const server = startCli(['serve'], env);
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health`, 90_000);
      server.kill('SIGKILL');
      await exited(server);
      const next = await runCli(['migrate'], env);
      expect(next.stderr).not.toContain('STORE_LOCKED');
      expect(next.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
