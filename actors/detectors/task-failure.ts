/**
 * The task-failure detector: a task type that failed at least 3 times in the last 24
 * hours (database time) becomes a finding carrying the count, the distinct normalized
 * error messages, first and last seen, and a confidence.
 *
 * Incremental: a stored watermark holds the last execution id read. A scan reads only the
 * executions past it, and evaluates the 24-hour window only for the types that failed
 * among them, through the (type, status, finished_at) index. Its cost follows the new rows
 * and the window's contents, never the length of the whole history. A type with no new
 * failure is not reported again (it was reported when its last failure arrived). A
 * detector that has never scanned starts at the first execution inside its window, so
 * even its first scan does not read old history.
 *
 * Confidence (README): confidence = 0.45 + 0.25 × consistency + 0.30 × (1 − e^(−(count − 2)/4)),
 * capped at 0.99, where consistency is the share of the window's failures that carry the
 * most common normalized error. It rises with the count and with the consistency of the
 * error: three identical failures give 0.77 (a person decides), eight give 0.93
 * (auto-approved), three different errors give 0.60 (refused as low confidence).
 */
import { normalizeErrorMessage } from '../../src/history/normalize-error.ts';
import { advanceWatermark, readWatermark } from '../../src/history/watermark.ts';
import { executionsSince, startingWatermark, failureWindows, type FailureWindow } from '../../src/history/window-queries.ts';
import type { Detector, DetectorStore } from '../../src/goals/detector.ts';
import type { Finding } from '../../src/goals/finding.ts';
import type { ScanStats } from './scan-stats.ts';

export interface TaskFailureOptions {
  /** Detector name and watermark key (default `taskFailure`). */
  name?: string;
  /** Failures needed within the window (default 3). */
  threshold?: number;
  /** Window length in hours (default 24). */
  windowHours?: number;
}

export interface TaskFailureDetector extends Detector {
  /** What the last scan read; undefined before the first. */
  readonly lastScan: ScanStats | undefined;
}

/** The documented confidence formula; `consistency` is in (0, 1]. */
export function taskFailureConfidence(count: number, consistency: number): number {
  const countScore = 1 - Math.exp(-Math.max(0, count - 2) / 4);
  const value = 0.45 + 0.25 * consistency + 0.3 * countScore;
  return Math.round(Math.min(0.99, value) * 1000) / 1000;
}

interface ErrorGroup {
  message: string;
  count: number;
  errorClass: string | null;
  example: string;
}

/** Groups a window's raw messages by their normalized form, most frequent first. */
export function groupErrors(window: FailureWindow): ErrorGroup[] {
  const groups = new Map<string, ErrorGroup>();
  for (const m of window.messages) {
    const key = normalizeErrorMessage(m.message);
    const group = groups.get(key);
    if (group) group.count += m.count;
    else groups.set(key, { message: key, count: m.count, errorClass: m.errorClass, example: m.message });
  }
  return [...groups.values()].sort((a, b) => b.count - a.count || a.message.localeCompare(b.message));
}

function toFinding(name: string, window: FailureWindow, hours: number, threshold: number): Finding {
  const groups = groupErrors(window);
  const top = groups[0]?.count ?? 0;
  const consistency = window.count > 0 ? top / window.count : 0;
  const confidence = taskFailureConfidence(window.count, consistency);
  const mostCommon = groups[0]?.message || '(no message)';
  return {
    detector: name,
    kind: 'fix-task-failure',
    title: `Fix recurring failures of task type ${window.type}`,
    description: `Task type ${window.type} failed ${window.count} times in the last ${hours} hours; the most common error: ${mostCommon}`,
    subject: window.type,
    confidence,
    risk: 'medium',
    priority: Math.min(10, window.count),
    evidence: {
      taskType: window.type,
      count: window.count,
      errors: groups.map((g) => g.message),
      errorGroups: groups,
      consistency: Math.round(consistency * 1000) / 1000,
      firstSeen: window.firstSeen.toISOString(),
      lastSeen: window.lastSeen.toISOString(),
      windowHours: hours,
      threshold,
    },
  };
}

export function createTaskFailureDetector(options: TaskFailureOptions = {}): TaskFailureDetector {
  const name = options.name ?? 'taskFailure';
  const threshold = options.threshold ?? 3;
  const hours = options.windowHours ?? 24;
  let lastScan: ScanStats | undefined;
  return {
    name,
    get lastScan() {
      return lastScan;
    },
    async scan(store: DetectorStore): Promise<Finding[]> {
      // One transaction: the watermark moves only if the scan that read past it completes.
      return store.db.transaction().execute(async (trx) => {
        // A first scan starts at the window, not at the beginning of history.
        const stored = await readWatermark(trx, name);
        const from = stored > 0 ? stored : await startingWatermark(trx, hours);
        const fresh = await executionsSince(trx, from);
        const types = fresh.types.filter((t) => t.failed > 0).map((t) => t.type);
        const windows = await failureWindows(trx, types, { hours });
        const findings = windows.filter((w) => w.count >= threshold).map((w) => toFinding(name, w, hours, threshold));
        if (fresh.high > from) await advanceWatermark(trx, name, fresh.high);
        lastScan = { from, to: fresh.high, rowsRead: fresh.rows, typesChecked: types, findings: findings.length };
        return findings;
      });
    },
  };
}
