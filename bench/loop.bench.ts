/**
 * Finding → tested latency on a generated 10,000-file repository, step by step, through
 * the production functions the actors call (gates, planning, CODE_ANALYZE, CODE_READ,
 * CODE_MODIFY's proposal, branching, testing). The repository's own test command is
 * excluded: the branch is tested with `true`, and the command's own run time is
 * subtracted, leaving the sandbox work. Scheduler and planner polling intervals are not
 * counted: they are configuration, not work. Targets (issue 6): ≤ 1 s for the first
 * modification, ≤ 300 ms for later ones on the same base.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CodeAccess } from '../src/code-access/code-access.ts';
import { nodeTestRunner } from '../src/code-access/node-test-runner.ts';
import { createRepo } from '../src/code-access/repo.ts';
import { createBranch, runBranchTests, type StepDeps } from '../src/code-access/steps.ts';
import { evaluateFinding } from '../src/goals/evaluate-finding.ts';
import type { Finding } from '../src/goals/finding.ts';
import { nodeFs } from '../src/git/node-fs.ts';
import { planGoal } from '../src/planner/advance-plans.ts';
import { BUILT_IN_METHODS } from '../src/planner/methods.ts';
import { openStore } from '../src/store/open-store.ts';
import { benchFileName, generateRepo, runGit } from './support/generate-repo.ts';
import type { BenchRow, BenchSection } from './types.ts';

const STEPS = ['gates', 'plan', 'analyze', 'read', 'propose', 'branch', 'test (sandbox)'] as const;
type Step = (typeof STEPS)[number];

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export default async function bench(): Promise<BenchSection> {
  const source = generateRepo(10_000);
  const scratch = mkdtempSync(join(tmpdir(), 'tether-loop-bench-'));
  const dir = join(scratch, 'repo');
  runGit(scratch, ['clone', '-q', source, dir]);
  const store = await openStore({ url: 'memory://' });
  const repo = createRepo({ fs: nodeFs, dir, testCommand: 'true', sandboxRoot: join(scratch, 'sandboxes'), maxOpenBranches: 1000 });
  const deps: StepDeps = { db: store.db, repo, tests: nodeTestRunner(), now: () => Date.now() };
  const codeAccess = new CodeAccess({ db: store.db, repo, now: () => Date.now(), actor: () => undefined });
  const runs: Record<Step, number>[] = [];
  const notes: string[] = [];
  try {
    // As at start-up: the runtime prepares the sandbox of the target's head in the background.
    const warm = performance.now();
    await deps.tests.prepare!(repo, runGit(dir, ['rev-parse', 'HEAD']));
    const warmMs = performance.now() - warm;
    notes.push(`Preparing the base sandbox (done at start-up and after each merge, off the request path) took ${Math.round(warmMs)} ms.`);
    for (let i = 0; i < 8; i++) {
      const target = benchFileName(100 + i);
      const finding: Finding = {
        detector: `bench${i}`,
        kind: 'fix-task-failure',
        title: `Fix task type bench.${i}`,
        subject: `bench.${i}`,
        description: `Task bench.${i} failed 8 times`,
        confidence: 0.95,
        evidence: { errors: [`TypeError: cannot read x (at ${target}:1:1)`], errorGroups: [{ message: 'TypeError', example: `at ${target}:1:1` }] },
      };
      const t: Partial<Record<Step, number>> = {};
      let at = performance.now();
      const lap = (step: Step) => {
        const now = performance.now();
        t[step] = now - at;
        at = now;
      };
      const gate = await evaluateFinding(store, finding, { maxSystemGoals: 1000, maxPerDetector: 1000 });
      lap('gates');
      const goalId = gate.goal!.id;
      await planGoal(
        { db: store.db, methods: BUILT_IN_METHODS, facts: async () => ({ modelConfigured: false, suspectFiles: [target] }) },
        goalId,
      );
      lap('plan');
      const suspects = await codeAccess.analyze(finding.evidence.errors as string[]);
      lap('analyze');
      const file = await codeAccess.read(suspects[0]!.path, { actor: 'bench' });
      lap('read');
      const m = await codeAccess.submit({ goalId, title: `fix ${i}`, author: 'bench-author', changes: [{ path: file.path, content: `${file.content}// fixed ${i}\n` }, { path: benchFileName(200 + i), content: `// ${i}\n` }, { path: benchFileName(300 + i), content: `// ${i}\n` }] });
      lap('propose');
      await createBranch(deps, m.id);
      lap('branch');
      await runBranchTests(deps, m.id);
      const tested = await codeAccess.get(m.id);
      lap('test (sandbox)');
      if (tested.state !== 'tested') throw new Error(`bench modification ended ${tested.state}: ${tested.error?.message}`);
      t['test (sandbox)']! -= tested.testResult?.durationMs ?? 0;
      runs.push(t as Record<Step, number>);
    }
  } finally {
    await store.close();
    rmSync(scratch, { recursive: true, force: true });
  }
  const first = runs[0]!;
  const later = runs.slice(1);
  const total = (r: Record<Step, number>) => STEPS.reduce((sum, s) => sum + r[s], 0);
  const rows: BenchRow[] = [
    { case: 'finding → tested, first modification (10k files)', tether: total(first), unit: 'ms', target: '≤ 1,000 ms' },
    { case: 'finding → tested, later modifications (median of 7)', tether: median(later.map(total)), unit: 'ms', target: '≤ 300 ms' },
    ...STEPS.map((s) => ({ case: `step: ${s} (first / later median)`, tether: first[s], baseline: median(later.map((r) => r[s])), baselineName: 'later median', unit: 'ms' })),
  ];
  notes.push("Per-step rows show the first modification's time, with the median of the later ones in the baseline column; the ratio there is first/later.", 'The test step excludes the test command\'s own run time (the command is `true`).');
  return {
    title: 'Finding → tested latency (issue 6), 10,000-file repository, PGlite in memory',
    rows,
    notes,
  };
}
