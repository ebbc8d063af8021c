/** Task history: recording executions and the window queries detectors read. */
export { recordExecution, type ExecutionInput, type ExecutionStatus, type RecordedExecution } from './record-execution.ts';
export { normalizeErrorMessage } from './normalize-error.ts';
export {
  executionsSince,
  failureWindows,
  durationWindows,
  startingWatermark,
  type NewExecutions,
  type FailureWindow,
  type FailureWindowOptions,
  type DurationWindow,
  type DurationWindowOptions,
} from './window-queries.ts';
export { readWatermark, advanceWatermark } from './watermark.ts';
