/**
 * The test-runner port: tests a commit of the repository somewhere that is not the user's
 * working tree, within a time limit, and reports the outcome. The Node implementation
 * (node-test-runner.ts) materializes the tree in a sandbox directory and runs a command.
 */
import type { TestResult } from './modification-store.ts';
import type { Repo } from './repo.ts';

export interface TestRunner {
  run(args: { repo: Repo; commit: string; baseCommit: string; modificationId: string }): Promise<TestResult>;
  /**
   * Gets the sandbox for a base commit ready ahead of time (at start-up, after a merge), so
   * the first modification on that base only writes its changed files.
   */
  prepare?(repo: Repo, baseCommit: string): Promise<void>;
}

/** For repositories with no test command: every commit passes, and the result says so. */
export const noTestRunner: TestRunner = {
  async run() {
    return { exitCode: 0, durationMs: 0, outputTail: 'No test command is configured: nothing was run.', timedOut: false, command: null };
  },
};
