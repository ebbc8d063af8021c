/**
 * Loose objects reach their final name whole or not at all: a process SIGKILLed while
 * writing a large one leaves no truncated object behind (isomorphic-git would never
 * rewrite a name that exists, so a partial object would stay corrupt for ever).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { nodeFs } from '../src/git/node-fs.ts';
import { ROOT } from './support/cli.ts';
import { tempDir } from './git-fixtures.ts';

const SIZE = 256 * 1024 * 1024;

describe('nodeFs', () => {
  it('writes a loose object through a temporary file, so a SIGKILL mid-write leaves none', async () => {
    const dir = join(tempDir('tether-objects-'), 'objects', 'ab');
    mkdirSync(dir, { recursive: true });
    const target = join(dir, 'c'.repeat(38));
    const script = `
      const { nodeFs } = await import(${JSON.stringify(join(ROOT, 'src/git/node-fs.ts'))});
      const data = new Uint8Array(${SIZE}).fill(7);
      process.stdout.write('writing\\n');
      await nodeFs.promises.writeFile(${JSON.stringify(target)}, data);
      process.stdout.write('written\\n');`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('writing') && !child.killed) setTimeout(() => child.kill('SIGKILL'), 15);
      });
      child.on('exit', () => resolve());
    });
    // Either the write finished before the kill (the whole object is there) or nothing is.
    if (existsSync(target)) expect(statSync(target).size).toBe(SIZE);
    else expect(out).not.toContain('written');
    expect(readdirSync(dir).filter((f) => f !== 'c'.repeat(38)).every((f) => f.includes('.tmp-'))).toBe(true);

    // And the adapter still writes a small object whole, leaving no temporary file.
    const small = join(dir, 'd'.repeat(38));
    await nodeFs.promises.writeFile(small, new Uint8Array([1, 2, 3]));
    expect(statSync(small).size).toBe(3);
    expect(readdirSync(dir).some((f) => f.startsWith('d'.repeat(38) + '.tmp'))).toBe(false);
  }, 60_000);
});
