/**
 * Tests a commit in a sandbox copy outside the repository (Node). Sandboxes are kept per
 * base commit, so a later modification on the same base rewrites only its changed files;
 * runs on one sandbox are serialized so two modifications never share a directory at once.
 */
import { join } from 'node:path';
import { materialize, runTests } from '../git/node-sandbox.ts';
import type { Repo } from './repo.ts';
import type { TestRunner } from './test-runner.ts';

const queues = new Map<string, Promise<unknown>>();

function serialized<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const next = previous.then(fn, fn);
  queues.set(
    key,
    next.catch(() => {}),
  );
  return next;
}

function sandboxFor(repo: Repo, baseCommit: string): string {
  if (!repo.sandboxRoot) throw new Error('nodeTestRunner needs repo.sandboxRoot (outside the repository)');
  return join(repo.sandboxRoot, baseCommit.slice(0, 16));
}

export function nodeTestRunner(): TestRunner {
  return {
    async prepare(repo, baseCommit) {
      if (!repo.testCommand || !repo.sandboxRoot) return;
      const sandboxDir = sandboxFor(repo, baseCommit);
      await serialized(sandboxDir, async () => {
        await materialize({ gitdir: repo.gitdir, commit: baseCommit, sandboxDir, cache: repo.cache });
      });
    },
    async run({ repo, commit, baseCommit }) {
      if (!repo.testCommand) {
        return { exitCode: 0, durationMs: 0, outputTail: 'No test command is configured: nothing was run.', timedOut: false, command: null };
      }
      const sandboxDir = sandboxFor(repo, baseCommit);
      return serialized(sandboxDir, async () => {
        await materialize({ gitdir: repo.gitdir, commit, sandboxDir, cache: repo.cache });
        const result = await runTests({
          dir: sandboxDir,
          command: repo.testCommand!,
          timeoutMs: repo.testTimeoutMs,
          outputCapBytes: repo.testOutputCapBytes,
        });
        return {
          exitCode: result.exitCode,
          durationMs: result.durationMs,
          outputTail: result.outputTail,
          timedOut: result.timedOut,
          command: repo.testCommand!,
        };
      });
    },
  };
}
