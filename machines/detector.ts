/**
 * A detector as an actor: idle until told `detector.scan`, then runs its `scan` actor
 * (supplied by the detector's implementation through `.provide()`) and reports to its
 * parent, the goal generator: one `detector.finding` event per finding, then one
 * `detector.scanned` saying the scan is over (with the error, if it failed). A detector
 * started on its own (no parent) reports to the system's `goalGenerator` if there is one,
 * and otherwise only keeps its last findings in its context. A failed scan
 * is an event and a return to idle, never an unhandled throw.
 *
 * Pure: no I/O here; the scan's effects live in the provided actor.
 */
import { enqueueActions, fromPromise, setup, type AnyActorRef, type AnyActorScope } from 'xstate';
import type { Finding } from '../src/goals/finding.ts';

/** Asks a detector to scan now. */
export type DetectorCommand = { type: 'detector.scan' };

/** What a detector tells its parent. */
export type DetectorReport =
  | { type: 'detector.finding'; detector: string; finding: Finding }
  | { type: 'detector.scanned'; detector: string; findings: number; error?: { code: string; message: string } };

export interface DetectorContext {
  /** The detector's name (also its findings' `detector`). */
  name: string;
  scans: number;
  lastFindings: number;
  lastError: { code: string; message: string } | null;
  /** The last scan's findings, for a detector running without a parent. */
  found: Finding[];
}

/** Where reports go: the parent, else the system's goal generator, else nowhere. */
function reportTarget(self: AnyActorRef, system: AnyActorScope['system']): AnyActorRef | undefined {
  return self._parent ?? system.get('goalGenerator');
}

function describeError(error: unknown): { code: string; message: string } {
  const e = error as { code?: unknown; message?: unknown } | null;
  return {
    code: typeof e?.code === 'string' ? e.code : 'INTERNAL',
    message: typeof e?.message === 'string' ? e.message : String(error),
  };
}

export const detectorMachine = setup({
  types: {
    context: {} as DetectorContext,
    events: {} as DetectorCommand,
    input: {} as { name: string },
  },
  actors: {
    /** Reads history and resolves with the findings; provided per detector. */
    scan: fromPromise<Finding[], { name: string }>(async () => {
      throw new Error('detector scan actor not provided');
    }),
  },
  actions: {
    reportFindings: enqueueActions(({ enqueue, context, event, self, system }) => {
      const findings = (event as unknown as { output: Finding[] }).output ?? [];
      const target = reportTarget(self, system);
      if (target) {
        for (const finding of findings) {
          enqueue.sendTo(target, { type: 'detector.finding', detector: context.name, finding } satisfies DetectorReport);
        }
        enqueue.sendTo(target, { type: 'detector.scanned', detector: context.name, findings: findings.length } satisfies DetectorReport);
      }
      enqueue.assign({ scans: context.scans + 1, lastFindings: findings.length, lastError: null, found: findings });
    }),
    reportFailure: enqueueActions(({ enqueue, context, event, self, system }) => {
      const error = describeError((event as unknown as { error: unknown }).error);
      const target = reportTarget(self, system);
      if (target) enqueue.sendTo(target, { type: 'detector.scanned', detector: context.name, findings: 0, error } satisfies DetectorReport);
      enqueue.assign({ scans: context.scans + 1, lastFindings: 0, lastError: error, found: [] });
    }),
  },
}).createMachine({
  id: 'detector',
  initial: 'idle',
  context: ({ input }) => ({ name: input.name, scans: 0, lastFindings: 0, lastError: null, found: [] }),
  states: {
    idle: {
      on: { 'detector.scan': 'scanning' },
    },
    scanning: {
      // A scan requested while one runs is answered by the running one.
      invoke: {
        src: 'scan',
        input: ({ context }) => ({ name: context.name }),
        onDone: { target: 'idle', actions: 'reportFindings' },
        onError: { target: 'idle', actions: 'reportFailure' },
      },
    },
  },
});
