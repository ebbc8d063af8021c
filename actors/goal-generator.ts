/**
 * The goal generator actor: machines/goal-generator.ts with its effects supplied. Its
 * detector children scan the store; its `evaluate` actor runs the gates
 * (src/goals/evaluate-finding.ts) on the queued findings. Time comes from the injected
 * clock, so tests drive the hourly schedule with a SimulatedClock instead of waiting.
 */
import { createActor, fromPromise, type Actor } from 'xstate';
import type { Clock } from '../src/ports/clock.ts';
import type { Detector, DetectorStore } from '../src/goals/detector.ts';
import type { GateOptions } from '../src/goals/evaluate-finding.ts';
import type { Finding } from '../src/goals/finding.ts';
import { evaluateFindings } from '../src/goals/run-detectors.ts';
import { detectorMachine } from '../machines/detector.ts';
import { goalGeneratorMachine, HOUR_MS, type RunSummary } from '../machines/goal-generator.ts';
import { builtInDetectors } from './detectors/index.ts';

export interface GoalGeneratorOptions {
  store: DetectorStore;
  /** The detectors to run (default: the built-in ones). Names must be unique. */
  detectors?: Detector[];
  /** Time between scheduled runs (default one hour). */
  intervalMs?: number;
  gates?: GateOptions;
}

async function summarize(store: DetectorStore, findings: Finding[], gates: GateOptions | undefined): Promise<RunSummary> {
  const results = await evaluateFindings(store, findings, gates);
  const summary: RunSummary = { evaluated: findings.length, accepted: 0, refused: 0, failed: 0, outcomes: [] };
  for (const { finding, result, error } of results) {
    if (result?.accepted) summary.accepted++;
    else if (result) summary.refused++;
    else summary.failed++;
    summary.outcomes.push({
      detector: finding.detector,
      subject: finding.subject,
      outcome: result?.outcome ?? error?.code ?? 'INTERNAL',
      ...(result?.goal ? { goalId: result.goal.id } : {}),
      reason: result?.reason ?? error?.message ?? '',
    });
  }
  return summary;
}

/** The generator's logic with its effects provided; input comes from `goalGeneratorInput`. */
export function goalGeneratorLogic(options: GoalGeneratorOptions & { detectors: Detector[] }) {
  const byName = new Map(options.detectors.map((d) => [d.name, d]));
  if (byName.size !== options.detectors.length) throw new Error('Detector names must be unique');
  return goalGeneratorMachine.provide({
    actors: {
      detector: detectorMachine.provide({
        actors: {
          scan: fromPromise<Finding[], { name: string }>(async ({ input }) => {
            const detector = byName.get(input.name);
            if (!detector) throw new Error(`No detector named ${input.name}`);
            return detector.scan(options.store);
          }),
        },
      }),
      evaluate: fromPromise<RunSummary, { findings: Finding[] }>(({ input }) => summarize(options.store, input.findings, options.gates)),
    },
  });
}

export type GoalGeneratorActor = Actor<ReturnType<typeof goalGeneratorLogic>>;

/**
 * Starts the generator as a root actor with systemId `goalGenerator`; its detectors are
 * `detector.<name>`. Send `{ type: 'goalGenerator.run' }` to run on demand; stop() ends it.
 */
export function startGoalGenerator(options: GoalGeneratorOptions & { clock?: Clock }): GoalGeneratorActor {
  const detectors = options.detectors ?? builtInDetectors();
  const logic = goalGeneratorLogic({ ...options, detectors });
  const actor = createActor(logic, {
    systemId: 'goalGenerator',
    input: { intervalMs: options.intervalMs ?? HOUR_MS, detectors: detectors.map((d) => d.name) },
    ...(options.clock ? { clock: options.clock } : {}),
  });
  actor.start();
  return actor;
}
