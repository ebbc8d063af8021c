/**
 * The managed repository from the configuration: on disk through node:fs, tested with
 * TETHER_TEST_COMMAND or, failing that, `npm test` when the repository's package.json has
 * a test script. Sandboxes live in the data dir, outside the repository.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { TetherConfig } from '../config.ts';
import { createRepo, type Repo, type RepoOptions } from '../code-access/repo.ts';
import { nodeFs } from '../git/node-fs.ts';

export function defaultTestCommand(dir: string): string | undefined {
  const file = join(dir, 'package.json');
  if (!existsSync(file)) return undefined;
  try {
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { scripts?: Record<string, string> };
    return pkg.scripts?.test ? 'npm test --silent' : undefined;
  } catch {
    return undefined;
  }
}

export function repoFromConfig(config: TetherConfig, overrides: Partial<RepoOptions> = {}): Repo {
  const dir = resolve(config.repo);
  return createRepo({
    fs: nodeFs,
    dir,
    testCommand: config.testCommand ?? defaultTestCommand(dir),
    sandboxRoot: resolve(config.dataDir, 'sandboxes'),
    hasWorktree: true,
    ...overrides,
  });
}
