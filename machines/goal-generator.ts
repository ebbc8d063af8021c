/**
 * The goal generator as a pure statechart (no I/O): idle until its interval elapses
 * (hourly by default, a named delay so the clock is injectable) or `goalGenerator.run`
 * arrives; then running: it asks every detector child to scan, queues the findings they
 * report, and once all have answered hands the queue to the `evaluate` actor (the gates,
 * supplied by actors/goal-generator.ts). Findings may also be submitted from outside at
 * any time; they wait in the queue for the next run. A run requested while one is going
 * is remembered and starts as soon as the current one ends.
 */
import { assign, enqueueActions, fromPromise, setup } from 'xstate';
import type { Finding } from '../src/goals/finding.ts';
import { detectorMachine, type DetectorReport } from './detector.ts';

export const HOUR_MS = 60 * 60 * 1000;

/** What one evaluation reports back. */
export interface RunSummary {
  /** Findings taken from the head of the queue. */
  evaluated: number;
  accepted: number;
  refused: number;
  /** Findings that could not be evaluated (invalid, store failure). */
  failed: number;
  /** One line per finding: outcome and goal, for observers. */
  outcomes: Array<{ detector: string; subject: string; outcome: string; goalId?: string; reason: string }>;
}

export interface GoalGeneratorContext {
  intervalMs: number;
  /** Names of the detector children (systemId `detector.<name>`). */
  detectors: string[];
  /** Findings waiting for the gates. */
  queue: Finding[];
  /** Detectors asked to scan that have not answered yet. */
  pending: string[];
  rerun: boolean;
  runs: number;
  lastRun: RunSummary | null;
  lastError: string | null;
  /** Detectors whose last scan failed, with why. */
  detectorErrors: Record<string, string>;
}

export type GoalGeneratorEvent =
  | { type: 'goalGenerator.run' }
  | { type: 'goalGenerator.submit'; finding: Finding }
  | DetectorReport;

export type GoalGeneratorEmitted = { type: 'goalGenerator.ran'; summary: RunSummary } | { type: 'goalGenerator.failed'; error: string };

export interface GoalGeneratorInput {
  /** Time between scheduled runs (default one hour). */
  intervalMs?: number;
  detectors?: string[];
}

export function detectorChildId(name: string): string {
  return `detector.${name}`;
}

export const goalGeneratorMachine = setup({
  types: {
    context: {} as GoalGeneratorContext,
    events: {} as GoalGeneratorEvent,
    input: {} as GoalGeneratorInput,
    emitted: {} as GoalGeneratorEmitted,
  },
  actors: {
    detector: detectorMachine,
    /** Gates the findings in order; provided by the actor. */
    evaluate: fromPromise<RunSummary, { findings: Finding[] }>(async () => {
      throw new Error('goal generator evaluate actor not provided');
    }),
  },
  delays: {
    interval: ({ context }) => context.intervalMs,
  },
  guards: {
    allScanned: ({ context }) => context.pending.length === 0,
    rerunRequested: ({ context }) => context.rerun,
  },
  actions: {
    spawnDetectors: enqueueActions(({ enqueue, context }) => {
      for (const name of context.detectors) {
        const id = detectorChildId(name);
        enqueue.spawnChild('detector', { id, systemId: id, input: { name } });
      }
    }),
    requestScans: enqueueActions(({ enqueue, context }) => {
      enqueue.assign({ pending: [...context.detectors] });
      for (const name of context.detectors) enqueue.sendTo(detectorChildId(name), { type: 'detector.scan' });
    }),
    enqueueFinding: assign({
      queue: ({ context, event }) =>
        event.type === 'detector.finding' || event.type === 'goalGenerator.submit' ? [...context.queue, event.finding] : context.queue,
    }),
    markScanned: assign(({ context, event }) => {
      if (event.type !== 'detector.scanned') return {};
      const detectorErrors = { ...context.detectorErrors };
      if (event.error) detectorErrors[event.detector] = `${event.error.code}: ${event.error.message}`;
      else delete detectorErrors[event.detector];
      return { pending: context.pending.filter((n) => n !== event.detector), detectorErrors };
    }),
    markRerun: assign({ rerun: true }),
    clearRerun: assign({ rerun: false }),
    finishRun: enqueueActions(({ enqueue, event, context }) => {
      const summary = (event as unknown as { output: RunSummary }).output;
      enqueue.assign({
        queue: context.queue.slice(summary.evaluated),
        runs: context.runs + 1,
        lastRun: summary,
        lastError: null,
      });
      enqueue.emit({ type: 'goalGenerator.ran', summary });
    }),
    recordFailure: enqueueActions(({ enqueue, event, context }) => {
      const error = (event as unknown as { error: unknown }).error;
      const message = error instanceof Error ? error.message : String(error);
      // The queue is kept: its findings are retried on the next run.
      enqueue.assign({ runs: context.runs + 1, lastError: message });
      enqueue.emit({ type: 'goalGenerator.failed', error: message });
    }),
  },
}).createMachine({
  id: 'goalGenerator',
  initial: 'idle',
  context: ({ input }) => ({
    intervalMs: input?.intervalMs ?? HOUR_MS,
    detectors: input?.detectors ?? [],
    queue: [],
    pending: [],
    rerun: false,
    runs: 0,
    lastRun: null,
    lastError: null,
    detectorErrors: {},
  }),
  entry: 'spawnDetectors',
  on: {
    'detector.finding': { actions: 'enqueueFinding' },
    'goalGenerator.submit': { actions: 'enqueueFinding' },
  },
  states: {
    idle: {
      always: { guard: 'rerunRequested', target: 'running', actions: 'clearRerun' },
      after: { interval: 'running' },
      on: { 'goalGenerator.run': 'running' },
    },
    running: {
      initial: 'scanning',
      on: { 'goalGenerator.run': { actions: 'markRerun' } },
      states: {
        scanning: {
          entry: 'requestScans',
          always: { guard: 'allScanned', target: 'evaluating' },
          on: { 'detector.scanned': { actions: 'markScanned' } },
        },
        evaluating: {
          invoke: {
            src: 'evaluate',
            input: ({ context }) => ({ findings: context.queue }),
            onDone: { target: '#goalGenerator.idle', actions: 'finishRun' },
            onError: { target: '#goalGenerator.idle', actions: 'recordFailure' },
          },
        },
      },
    },
  },
});
