/**
 * The duration-regression detector, the second built-in: a task type whose successful runs
 * got markedly slower. It compares the median (p50) duration of the last 24 hours against
 * the median of the 7 days before, in database time, and reports a type whose recent
 * median is at least 1.5× the baseline with at least 5 runs on each side.
 *
 * Incremental like the task-failure detector: only types with new successful runs since
 * the watermark are evaluated, each through the (type, status, finished_at) index.
 *
 * Confidence (README): confidence = 0.45 + 0.30 × min(1, (ratio − 1)/2) + 0.25 × (1 − e^(−n/10)),
 * capped at 0.99, where ratio is recent p50 / baseline p50 and n the smaller sample. It
 * rises with the slowdown and the evidence: 1.5× on 5 runs gives 0.62 (refused), 2× on
 * 10 runs 0.76 (a person decides), 3× on 30 runs 0.99 (auto-approved).
 */
import { advanceWatermark, readWatermark } from '../../src/history/watermark.ts';
import { durationWindows, executionsSince, startingWatermark, type DurationWindow } from '../../src/history/window-queries.ts';
import type { Detector, DetectorStore } from '../../src/goals/detector.ts';
import type { Finding } from '../../src/goals/finding.ts';
import type { ScanStats } from './scan-stats.ts';

export interface DurationRegressionOptions {
  /** Detector name and watermark key (default `durationRegression`). */
  name?: string;
  /** Recent p50 must be at least this multiple of the baseline p50 (default 1.5). */
  factor?: number;
  /** Runs needed in each window (default 5). */
  minSamples?: number;
  /** Recent window in hours (default 24). */
  recentHours?: number;
  /** Baseline window in hours, just before the recent one (default 168). */
  baselineHours?: number;
}

export interface DurationRegressionDetector extends Detector {
  readonly lastScan: ScanStats | undefined;
}

/** The documented confidence formula. */
export function durationRegressionConfidence(ratio: number, samples: number): number {
  const slowdown = Math.min(1, Math.max(0, (ratio - 1) / 2));
  const evidence = 1 - Math.exp(-samples / 10);
  return Math.round(Math.min(0.99, 0.45 + 0.3 * slowdown + 0.25 * evidence) * 1000) / 1000;
}

function toFinding(name: string, w: DurationWindow, o: Required<DurationRegressionOptions>): Finding {
  const ratio = w.recentP50! / w.baselineP50!;
  const samples = Math.min(w.recentCount, w.baselineCount);
  const rounded = Math.round(ratio * 100) / 100;
  return {
    detector: name,
    kind: 'fix-duration-regression',
    title: `Find why task type ${w.type} got ${rounded}× slower`,
    description: `Median duration of ${w.type} rose from ${Math.round(w.baselineP50!)} ms to ${Math.round(w.recentP50!)} ms (${rounded}×)`,
    subject: w.type,
    confidence: durationRegressionConfidence(ratio, samples),
    risk: 'medium',
    evidence: {
      taskType: w.type,
      recentP50Ms: w.recentP50,
      baselineP50Ms: w.baselineP50,
      ratio: rounded,
      recentCount: w.recentCount,
      baselineCount: w.baselineCount,
      recentHours: o.recentHours,
      baselineHours: o.baselineHours,
    },
  };
}

export function createDurationRegressionDetector(options: DurationRegressionOptions = {}): DurationRegressionDetector {
  const o: Required<DurationRegressionOptions> = {
    name: options.name ?? 'durationRegression',
    factor: options.factor ?? 1.5,
    minSamples: options.minSamples ?? 5,
    recentHours: options.recentHours ?? 24,
    baselineHours: options.baselineHours ?? 7 * 24,
  };
  let lastScan: ScanStats | undefined;
  return {
    name: o.name,
    get lastScan() {
      return lastScan;
    },
    async scan(store: DetectorStore): Promise<Finding[]> {
      return store.db.transaction().execute(async (trx) => {
        // A first scan starts at the window, not at the beginning of history.
        const stored = await readWatermark(trx, o.name);
        const from = stored > 0 ? stored : await startingWatermark(trx, o.recentHours + o.baselineHours);
        const fresh = await executionsSince(trx, from);
        const types = fresh.types.filter((t) => t.succeeded > 0).map((t) => t.type);
        const windows = await durationWindows(trx, types, o);
        const findings = windows
          .filter(
            (w) =>
              w.recentCount >= o.minSamples &&
              w.baselineCount >= o.minSamples &&
              w.recentP50 !== null &&
              w.baselineP50 !== null &&
              w.baselineP50 > 0 &&
              w.recentP50 >= o.factor * w.baselineP50,
          )
          .map((w) => toFinding(o.name, w, o));
        if (fresh.high > from) await advanceWatermark(trx, o.name, fresh.high);
        lastScan = { from, to: fresh.high, rowsRead: fresh.rows, typesChecked: types, findings: findings.length };
        return findings;
      });
    },
  };
}
