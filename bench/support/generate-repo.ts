/**
 * Generated repositories for benchmarks: `count` small files in 50×20 folders, one commit
 * on `main`, checked out; made with native `git fast-import` (fast) and reused between
 * runs from bench/.work/.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchWork = join(dirname(fileURLToPath(import.meta.url)), '..', '.work');

export const benchGitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Bench',
  GIT_AUTHOR_EMAIL: 'bench@example.com',
  GIT_COMMITTER_NAME: 'Bench',
  GIT_COMMITTER_EMAIL: 'bench@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

export function runGit(cwd: string, args: string[], input?: string): string {
  return execFileSync('git', args, { cwd, env: benchGitEnv, input, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'] }).trim();
}

export const benchFileName = (i: number) => `d${i % 50}/s${Math.floor(i / 50) % 20}/f${i}.ts`;
export const benchContent = (i: number, tag = '') => `export const v${i} = ${i};\n// padding line ${i}\n${tag}`;

export function generateRepo(count: number, name = `repo-${count}`): string {
  const dir = join(benchWork, name);
  if (existsSync(join(dir, '.git', 'tether-bench-ready'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  runGit(dir, ['init', '-q', '-b', 'main']);
  const chunks: string[] = ['commit refs/heads/main\ncommitter Bench <bench@example.com> 1700000000 +0000\ndata 4\nbase\n'];
  for (let i = 0; i < count; i++) {
    const data = benchContent(i);
    chunks.push(`M 100644 inline ${benchFileName(i)}\ndata ${Buffer.byteLength(data)}\n${data}\n`);
  }
  runGit(dir, ['fast-import', '--quiet'], chunks.join(''));
  runGit(dir, ['reset', '-q', '--hard', 'main']);
  writeFileSync(join(dir, '.git', 'tether-bench-ready'), '');
  return dir;
}
