import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isTetherError } from '../src/errors.ts';
import { normalizeErrorMessage } from '../src/history/normalize-error.ts';
import { recordExecution } from '../src/history/record-execution.ts';
import { advanceWatermark, readWatermark } from '../src/history/watermark.ts';
import { durationWindows, executionsSince, failureWindows } from '../src/history/window-queries.ts';
import type { Store } from '../src/store/open-store.ts';
import { backends } from './support/stores.ts';

const HOUR = 3_600_000;
const ago = (ms: number) => new Date(Date.now() - ms);

describe('normalizeErrorMessage', () => {
  it('strips numbers, uuids, hex ids and paths so one cause reads the same', () => {
    const a = normalizeErrorMessage("ENOENT: open '/tmp/run-17/out.json' after 3000 ms (task 123e4567-e89b-12d3-a456-426614174000)");
    const b = normalizeErrorMessage("ENOENT: open '/var/tmp/x.json'   after 12 ms (task 9fceb02d-0ae5-98e9-5dc9-70b74767f193)");
    expect(a).toBe("ENOENT: open '<path>' after <n> ms (task <id>)");
    expect(b).toBe(a);
  });

  it('replaces commit hashes, 0x values, relative and Windows paths', () => {
    expect(normalizeErrorMessage('bad object 9fceb02d0ae598e95dc970b74767f19372d61af8')).toBe('bad object <id>');
    expect(normalizeErrorMessage('value 0x1F at src/a.ts:12:3')).toBe('value <id> at <path>:<n>:<n>');
    expect(normalizeErrorMessage('cannot read C:\\Users\\me\\a.txt')).toBe('cannot read <path>');
  });

  it('collapses whitespace and keeps words that only look like hex', () => {
    expect(normalizeErrorMessage('  deadbeef   cafe\n failed ')).toBe('deadbeef cafe failed');
    expect(normalizeErrorMessage(null)).toBe('');
  });
});

for (const backend of backends) {
  describe(`task history on ${backend.name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await backend.open();
    });
    afterAll(async () => {
      await store?.close();
    });

    it('records an execution with its duration and a database-time finish by default', async () => {
      const started = ago(1500);
      const recorded = await recordExecution(store.db, {
        taskId: 't1',
        type: 'history.default',
        status: 'succeeded',
        startedAt: started,
      });
      expect(recorded.id).toBeGreaterThan(0);
      expect(recorded.durationMs).toBeGreaterThanOrEqual(1400);
      expect(Math.abs(recorded.finishedAt.getTime() - Date.now())).toBeLessThan(60_000);
      const row = await store.db.selectFrom('task_executions').selectAll().where('id', '=', String(recorded.id)).executeTakeFirstOrThrow();
      expect(row.type).toBe('history.default');
      expect(row.status).toBe('succeeded');
    });

    it('refuses an execution without a type or with an unknown status', async () => {
      await expect(recordExecution(store.db, { taskId: 't', type: '', status: 'failed' })).rejects.toSatisfy((e: unknown) =>
        isTetherError(e, 'VALIDATION_FAILED'),
      );
      await expect(recordExecution(store.db, { taskId: 't', type: 'x', status: 'done' as 'failed' })).rejects.toThrow(/status/);
    });

    it('commits or rolls back with the caller’s transaction', async () => {
      await expect(
        store.db.transaction().execute(async (trx) => {
          await recordExecution(trx, { taskId: 't', type: 'history.rollback', status: 'failed', errorMessage: 'x' });
          throw new Error('abort');
        }),
      ).rejects.toThrow('abort');
      const rows = await store.db.selectFrom('task_executions').select('id').where('type', '=', 'history.rollback').execute();
      expect(rows).toHaveLength(0);
    });

    it('summarizes only the executions past a watermark', async () => {
      const before = await executionsSince(store.db, 0);
      await recordExecution(store.db, { taskId: 'a', type: 'history.since', status: 'failed', errorMessage: 'boom' });
      await recordExecution(store.db, { taskId: 'b', type: 'history.since', status: 'succeeded' });
      const after = await executionsSince(store.db, before.high);
      expect(after.rows).toBe(2);
      expect(after.types).toEqual([{ type: 'history.since', failed: 1, succeeded: 1 }]);
      expect(after.high).toBeGreaterThan(before.high);
      expect((await executionsSince(store.db, after.high)).rows).toBe(0);
    });

    it('counts failures inside the 24-hour window only, with first and last seen and grouped messages', async () => {
      const type = 'history.window';
      await recordExecution(store.db, { taskId: 'old', type, status: 'failed', errorMessage: 'old', finishedAt: ago(25 * HOUR) });
      await recordExecution(store.db, { taskId: 'a', type, status: 'failed', errorMessage: 'E1', finishedAt: ago(3 * HOUR) });
      await recordExecution(store.db, { taskId: 'b', type, status: 'failed', errorMessage: 'E1', finishedAt: ago(2 * HOUR) });
      await recordExecution(store.db, { taskId: 'c', type, status: 'failed', errorMessage: 'E2', finishedAt: ago(1 * HOUR) });
      await recordExecution(store.db, { taskId: 'd', type, status: 'succeeded', finishedAt: ago(1 * HOUR) });
      const [window] = await failureWindows(store.db, [type]);
      expect(window!.count).toBe(3);
      expect(window!.messages).toEqual([
        { message: 'E1', errorClass: null, count: 2 },
        { message: 'E2', errorClass: null, count: 1 },
      ]);
      expect(window!.lastSeen.getTime() - window!.firstSeen.getTime()).toBeGreaterThan(1.9 * HOUR);
      // A capped message list keeps the full count.
      const [capped] = await failureWindows(store.db, [type], { messageLimit: 1 });
      expect(capped!.count).toBe(3);
      expect(capped!.messages).toHaveLength(1);
    });

    it('computes recent and baseline medians of successful runs', async () => {
      const type = 'history.duration';
      for (const [hoursAgo, ms] of [
        [30, 100],
        [40, 110],
        [50, 90],
        [2, 300],
        [3, 310],
      ] as const) {
        const finishedAt = ago(hoursAgo * HOUR);
        await recordExecution(store.db, { taskId: 'x', type, status: 'succeeded', startedAt: new Date(finishedAt.getTime() - ms), finishedAt });
      }
      const [w] = await durationWindows(store.db, [type]);
      expect(w).toMatchObject({ type, recentCount: 2, baselineCount: 3 });
      expect(w!.recentP50).toBeCloseTo(305, 0);
      expect(w!.baselineP50).toBeCloseTo(100, 0);
    });

    it('moves a watermark forward only', async () => {
      expect(await readWatermark(store.db, 'history.wm')).toBe(0);
      await advanceWatermark(store.db, 'history.wm', 10);
      await advanceWatermark(store.db, 'history.wm', 5);
      expect(await readWatermark(store.db, 'history.wm')).toBe(10);
      const now = await sql<{ now: Date }>`select now() as now`.execute(store.db);
      expect(now.rows[0]!.now).toBeInstanceOf(Date);
    });
  });
}
