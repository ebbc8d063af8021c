/** The built-in detectors and the glue that makes any detector an actor. */
import type { Detector } from '../../src/goals/detector.ts';
import { createDurationRegressionDetector, type DurationRegressionOptions } from './duration-regression.ts';
import { createTaskFailureDetector, type TaskFailureOptions } from './task-failure.ts';

export * from './task-failure.ts';
export * from './duration-regression.ts';
export * from './detector-actor.ts';
export type { ScanStats } from './scan-stats.ts';

/** Every built-in detector, freshly configured. */
export function builtInDetectors(
  options: { taskFailure?: TaskFailureOptions; durationRegression?: DurationRegressionOptions } = {},
): Detector[] {
  return [createTaskFailureDetector(options.taskFailure), createDurationRegressionDetector(options.durationRegression)];
}
