import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createActor, setup, assign, waitFor, fromPromise } from 'xstate';
import { createDurationRegressionDetector, durationRegressionConfidence } from '../actors/detectors/duration-regression.ts';
import { detectorLogic } from '../actors/detectors/detector-actor.ts';
import { createTaskFailureDetector, taskFailureConfidence } from '../actors/detectors/task-failure.ts';
import type { Detector } from '../src/goals/detector.ts';
import type { Finding } from '../src/goals/finding.ts';
import { runDetectors } from '../src/goals/run-detectors.ts';
import { recordExecution } from '../src/history/record-execution.ts';
import { readWatermark } from '../src/history/watermark.ts';
import type { Store } from '../src/store/open-store.ts';
import { detectorMachine, type DetectorReport } from '../machines/detector.ts';
import { backends } from './support/stores.ts';

const HOUR = 3_600_000;
const ago = (ms: number) => new Date(Date.now() - ms);

describe('the task-failure confidence formula', () => {
  it('rises with the count and with the consistency of the error', () => {
    expect(taskFailureConfidence(3, 1)).toBeCloseTo(0.766, 3);
    expect(taskFailureConfidence(8, 1)).toBeGreaterThan(0.9);
    expect(taskFailureConfidence(3, 1 / 3)).toBeLessThan(0.7);
    expect(taskFailureConfidence(5, 1)).toBeGreaterThan(taskFailureConfidence(4, 1));
    expect(taskFailureConfidence(5, 1)).toBeGreaterThan(taskFailureConfidence(5, 0.6));
    expect(taskFailureConfidence(1000, 1)).toBe(0.99);
  });
});

describe('the duration-regression confidence formula', () => {
  it('rises with the slowdown and the number of runs', () => {
    expect(durationRegressionConfidence(1.5, 5)).toBeLessThan(0.7);
    expect(durationRegressionConfidence(2, 10)).toBeGreaterThan(0.7);
    expect(durationRegressionConfidence(3, 30)).toBeGreaterThan(0.9);
    expect(durationRegressionConfidence(2, 20)).toBeGreaterThan(durationRegressionConfidence(2, 10));
  });
});

for (const backend of backends) {
  describe(`task-failure detector on ${backend.name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await backend.open();
    });
    afterEach(async () => {
      await store?.close();
    });

    const fail = (type: string, message: string, finishedAt?: Date) =>
      recordExecution(store.db, {
        taskId: `task-${Math.random()}`,
        type,
        status: 'failed',
        errorClass: 'Error',
        errorMessage: message,
        ...(finishedAt ? { finishedAt } : {}),
      });

    it('turns three failures of a task type within 24 hours into one goal', async () => {
      await fail('build.test', 'Timeout after 3000 ms in /tmp/run-1/out.json');
      await fail('build.test', 'Timeout after 4500 ms in /tmp/run-2/out.json');
      await fail('build.test', 'Timeout after 10 ms in /var/x/y.json');
      const runs = await runDetectors(store, [createTaskFailureDetector()]);
      expect(runs).toHaveLength(1);
      const [only] = runs[0]!.findings;
      expect(only!.result).toMatchObject({ accepted: true, outcome: 'proposed' });
      const goals = await store.db.selectFrom('goals').selectAll().execute();
      expect(goals).toHaveLength(1);
      expect(goals[0]).toMatchObject({ kind: 'fix-task-failure', source: 'system', created_by: 'taskFailure', status: 'proposed' });
      expect(goals[0]!.evidence).toMatchObject({ subject: 'build.test', count: 3, errors: ['Timeout after <n> ms in <path>'] });
    });

    it('reports nothing for two failures, or for a third one older than 24 hours', async () => {
      await fail('build.lint', 'boom', ago(25 * HOUR));
      await fail('build.lint', 'boom');
      await fail('build.lint', 'boom');
      const runs = await runDetectors(store, [createTaskFailureDetector()]);
      expect(runs[0]!.findings).toEqual([]);
      expect(await store.db.selectFrom('goals').select('id').execute()).toEqual([]);
    });

    it('carries the count, distinct normalized errors, first and last seen and the documented confidence', async () => {
      const first = ago(5 * HOUR);
      await fail('deploy', 'connect ECONNREFUSED 10.0.0.1:5432', first);
      await fail('deploy', 'connect ECONNREFUSED 10.0.0.2:5433', ago(4 * HOUR));
      await fail('deploy', 'connect ECONNREFUSED 10.0.0.3:5434', ago(3 * HOUR));
      const last = ago(2 * HOUR);
      await fail('deploy', 'disk full on /dev/sda1', last);
      const detector = createTaskFailureDetector();
      const [finding] = await detector.scan(store);
      expect(finding).toMatchObject({ detector: 'taskFailure', subject: 'deploy', kind: 'fix-task-failure' });
      expect(finding!.evidence).toMatchObject({
        count: 4,
        errors: ['connect ECONNREFUSED <n>:<n>', 'disk full on <path>'],
        consistency: 0.75,
      });
      expect(Math.abs(new Date(finding!.evidence.firstSeen as string).getTime() - first.getTime())).toBeLessThan(5);
      expect(Math.abs(new Date(finding!.evidence.lastSeen as string).getTime() - last.getTime())).toBeLessThan(5);
      expect(finding!.confidence).toBe(taskFailureConfidence(4, 0.75));
    });

    it('reads only executions past its stored watermark', async () => {
      await fail('a', 'x');
      await fail('a', 'x');
      const last = await fail('a', 'x');
      const detector = createTaskFailureDetector();
      expect(await detector.scan(store)).toHaveLength(1);
      expect(await readWatermark(store.db, 'taskFailure')).toBe(last.id);
      expect(detector.lastScan).toMatchObject({ from: 0, to: last.id, rowsRead: 3, typesChecked: ['a'] });

      // Nothing new: nothing read, nothing reported again.
      expect(await detector.scan(store)).toEqual([]);
      expect(detector.lastScan).toMatchObject({ from: last.id, to: last.id, rowsRead: 0, typesChecked: [] });

      // A success of another type is read but checks no window.
      const ok = await recordExecution(store.db, { taskId: 't', type: 'b', status: 'succeeded' });
      expect(await detector.scan(store)).toEqual([]);
      expect(detector.lastScan).toMatchObject({ from: last.id, to: ok.id, rowsRead: 1, typesChecked: [] });

      // A new failure re-evaluates that type's whole window, not just the new row.
      await fail('a', 'x');
      const again = await detector.scan(store);
      expect(again[0]!.evidence.count).toBe(4);
      expect(detector.lastScan!.rowsRead).toBe(1);
    });

    it('starts its first scan at the window, not at the beginning of history', async () => {
      for (let i = 0; i < 5; i++) await fail('old', 'x', ago((30 + i) * HOUR));
      const first = await fail('e', 'x', ago(2 * HOUR));
      await fail('e', 'x');
      const last = await fail('e', 'x');
      const detector = createTaskFailureDetector();
      expect(await detector.scan(store)).toHaveLength(1);
      expect(detector.lastScan).toMatchObject({ from: first.id - 1, to: last.id, rowsRead: 3, typesChecked: ['e'] });
    });

    it('resumes from the stored watermark after a restart instead of rereading history', async () => {
      for (let i = 0; i < 3; i++) await fail('c', 'x');
      await createTaskFailureDetector().scan(store);
      const restarted = createTaskFailureDetector();
      expect(await restarted.scan(store)).toEqual([]);
      expect(restarted.lastScan!.rowsRead).toBe(0);
    });

    it('gives three different errors a low confidence and eight identical ones a high one', async () => {
      await fail('mixed', 'alpha');
      await fail('mixed', 'beta');
      await fail('mixed', 'gamma');
      for (let i = 0; i < 8; i++) await fail('steady', `same error #${i}`);
      const findings = await createTaskFailureDetector().scan(store);
      const by = Object.fromEntries(findings.map((f) => [f.subject, f.confidence]));
      expect(by.mixed).toBeLessThan(0.7);
      expect(by.steady).toBeGreaterThan(0.9);
    });
  });

  describe(`duration-regression detector on ${backend.name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await backend.open();
    });
    afterEach(async () => {
      await store?.close();
    });

    const run = (type: string, hoursAgo: number, ms: number) => {
      const finishedAt = ago(hoursAgo * HOUR);
      return recordExecution(store.db, { taskId: 't', type, status: 'succeeded', startedAt: new Date(finishedAt.getTime() - ms), finishedAt });
    };

    it('reports a task type whose recent median is at least 1.5× its baseline', async () => {
      for (let i = 0; i < 10; i++) await run('index', 30 + i * 10, 100 + i);
      for (let i = 0; i < 10; i++) await run('index', 1 + i, 300 + i);
      const [finding] = await createDurationRegressionDetector().scan(store);
      expect(finding).toMatchObject({ detector: 'durationRegression', kind: 'fix-duration-regression', subject: 'index' });
      expect(finding!.evidence.ratio).toBeCloseTo(2.92, 1);
      expect(finding!.confidence).toBeGreaterThan(0.7);
    });

    it('stays quiet for a small slowdown or too few runs', async () => {
      for (let i = 0; i < 10; i++) await run('steady', 30 + i * 10, 100);
      for (let i = 0; i < 10; i++) await run('steady', 1 + i, 120);
      for (let i = 0; i < 10; i++) await run('sparse', 30 + i * 10, 100);
      for (let i = 0; i < 3; i++) await run('sparse', 1 + i, 900);
      expect(await createDurationRegressionDetector().scan(store)).toEqual([]);
    });

    it('becomes a goal through the gates, once', async () => {
      for (let i = 0; i < 30; i++) await run('compile', 30 + i * 4, 100);
      for (let i = 0; i < 30; i++) await run('compile', 1 + i * 0.5, 400);
      const detector = createDurationRegressionDetector();
      const [first] = await runDetectors(store, [detector]);
      expect(first!.findings[0]!.result).toMatchObject({ accepted: true, outcome: 'active' });
      await run('compile', 0.1, 500);
      const [second] = await runDetectors(store, [detector]);
      expect(second!.findings[0]!.result).toMatchObject({ accepted: false, outcome: 'DUPLICATE_GOAL' });
    });
  });

  describe(`detector actors on ${backend.name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await backend.open();
    });
    afterEach(async () => {
      await store?.close();
    });

    // A stand-in parent that collects what its detector child reports.
    function collector(logic: ReturnType<typeof detectorLogic>) {
      return setup({
        types: { context: {} as { reports: DetectorReport[] }, events: {} as DetectorReport | { type: 'scan' } },
        actors: { detector: logic },
        actions: {
          collect: assign({ reports: ({ context, event }) => [...context.reports, event as DetectorReport] }),
        },
      }).createMachine({
        context: { reports: [] },
        invoke: { src: 'detector', id: 'detector', input: { name: 'taskFailure' } },
        on: {
          scan: { actions: ({ self }) => self.getSnapshot().children.detector?.send({ type: 'detector.scan' }) },
          'detector.finding': { actions: 'collect' },
          'detector.scanned': { actions: 'collect' },
        },
      });
    }

    it('emits one detector.finding per finding to its parent, then detector.scanned', async () => {
      for (let i = 0; i < 3; i++) {
        await recordExecution(store.db, { taskId: 't', type: 'flaky', status: 'failed', errorMessage: 'boom' });
      }
      const parent = createActor(collector(detectorLogic(createTaskFailureDetector(), store))).start();
      parent.send({ type: 'scan' });
      const done = await waitFor(parent, (s) => s.context.reports.some((r) => r.type === 'detector.scanned'));
      expect(done.context.reports.map((r) => r.type)).toEqual(['detector.finding', 'detector.scanned']);
      const finding = done.context.reports[0] as Extract<DetectorReport, { type: 'detector.finding' }>;
      expect(finding.finding.subject).toBe('flaky');
      parent.stop();
    });

    it('reports a failed scan as an event and returns to idle', async () => {
      const broken: Detector = {
        name: 'broken',
        scan: async () => {
          throw new Error('history unavailable');
        },
      };
      const parent = createActor(collector(detectorLogic(broken, store))).start();
      parent.send({ type: 'scan' });
      const done = await waitFor(parent, (s) => s.context.reports.length > 0);
      expect(done.context.reports[0]).toMatchObject({ type: 'detector.scanned', findings: 0, error: { message: 'history unavailable' } });
      expect(done.children.detector!.getSnapshot().value).toBe('idle');
      parent.stop();
    });

    it('lets a user write a detector as a plain scan function', async () => {
      const custom: Detector = {
        name: 'custom',
        scan: async (): Promise<Finding[]> => [
          { detector: 'custom', kind: 'tidy', title: 'Tidy up', subject: 'docs', evidence: {}, confidence: 0.8 },
        ],
      };
      const actor = createActor(
        detectorMachine.provide({ actors: { scan: fromPromise(() => custom.scan(store)) } }),
        { input: { name: 'custom' } },
      ).start();
      actor.send({ type: 'detector.scan' });
      const idle = await waitFor(actor, (s) => s.context.scans === 1);
      expect(idle.context.lastFindings).toBe(1);
      expect(idle.context.found[0]!.subject).toBe('docs');
      actor.stop();
    });
  });
}
