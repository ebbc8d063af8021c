/**
 * One call builds the runtime: configuration, store and migrations, the root actor system
 * with its systemIds (ledger, scheduler, planner, goalGenerator, codeAccess), and the Hono
 * app. `stop()` drains the scheduler and closes everything so the process exits by itself.
 */
import { resolve } from 'node:path';
import { createActor, type AnyActorRef, type InspectionEvent, type Observer } from 'xstate';
import type { Hono } from 'hono';
import { resolveConfig, type RawSettings, type TetherConfig } from '../config.ts';
import { createApp, type HttpOptions } from '../http/app.ts';
import { newId } from '../ids.ts';
import { flushLedger } from '../ledger/ledger-writer.ts';
import { logger } from '../log.ts';
import { systemClock, type Clock } from '../ports/clock.ts';
import { isPostgresUrl, openStore, type Store } from '../store/open-store.ts';
import { tetherMachine } from '../../machines/tether.ts';
import type { TetherServices } from './services.ts';
import { repoFromConfig } from './repo-from-config.ts';
import { CodeAccess } from '../code-access/code-access.ts';
import { refCommit, targetRef } from '../code-access/target-ref.ts';
import type { Repo } from '../code-access/repo.ts';
import type { StepDeps } from '../code-access/steps.ts';
import { nodeTestRunner } from '../code-access/node-test-runner.ts';
import type { TestRunner } from '../code-access/test-runner.ts';
import { createCodeAccessLogic } from '../../actors/code-access.ts';
import { schedulerInput, schedulerLogic, stopScheduler, type SchedulerActor, type SchedulerInput } from '../../actors/scheduler.ts';
import { createPlannerLogic } from '../../actors/planner.ts';
import { createLedgerActorLogic } from '../../actors/ledger.ts';
import { goalGeneratorLogic } from '../../actors/goal-generator.ts';
import { builtInDetectors } from '../../actors/detectors/index.ts';
import type { Detector } from '../goals/detector.ts';
import type { GateOptions } from '../goals/evaluate-finding.ts';
import { createModel } from '../model/create-model.ts';
import type { Model } from '../model/model.ts';
import { modelAuthor } from '../author/model-author.ts';
import type { Author } from '../author/author.ts';
import { createCodeTaskHandlers, evidenceTexts } from '../planner/code-task-handlers.ts';
import { createCognitiveHandler } from '../scheduler/cognitive-handler.ts';
import type { TaskHandlers } from '../scheduler/task-handler.ts';
import { BUILT_IN_METHODS } from '../planner/methods.ts';
import type { Method } from '../planner/htn.ts';
import { createCluster, type Cluster } from '../../actors/cluster.ts';
import type { ClusterOptions } from '../cluster/cluster-options.ts';
import { NOOP_TASK, noopHandler } from '../scheduler/noop-handler.ts';

export interface TetherOptions {
  /** Settings as flags would give them (`data-dir`, `database-url`, …), or a full config. */
  settings?: RawSettings;
  config?: TetherConfig;
  /** An open store to use instead of opening one from the config (tests, embedders). */
  store?: Store;
  clock?: Clock;
  /** XState inspection: receives every actor event and snapshot (Stately's inspector). */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /** The repository to manage, instead of the one the config names (e.g. LightningFS). */
  repo?: Repo;
  /** How branches are tested (default: a sandbox copy and the repository's test command). */
  testRunner?: TestRunner;
  /** The model (default: from TETHER_MODEL_URL/TETHER_MODEL, else unconfigured). */
  model?: Model;
  /** Who writes changes for goals (default: an author over the model). */
  author?: Author;
  /** More task handlers, by type (merged over the built-in ones). */
  handlers?: TaskHandlers;
  /** HTN methods (default: the built-in ones); users add their own. */
  methods?: readonly Method[];
  detectors?: Detector[];
  gates?: GateOptions;
  /** Scheduler settings (poll interval, concurrency, lease, backoff…). */
  scheduler?: Partial<Omit<SchedulerInput, 'db' | 'handlers'>>;
  /** Planner pass interval (default 1 s). */
  plannerTickMs?: number;
  /** HTTP hardening: body limit, per-token rate limit, extra allowed origins (tokens come from the config). */
  http?: HttpOptions;
  /** Several processes on one PostgreSQL database: lease and election timings (ignored on PGlite). */
  cluster?: Partial<ClusterOptions>;
}

export interface Tether {
  config: TetherConfig;
  services: TetherServices;
  /** The root actor; children found with `system.system.get('ledger')`. */
  system: AnyActorRef;
  app: Hono<any, any, any>;
  model: Model;
  /** Coordination with other processes on the same PostgreSQL database (inert on PGlite). */
  cluster: Cluster;
  stop(): Promise<void>;
}

export async function createTether(options: TetherOptions = {}): Promise<Tether> {
  const log = logger('runtime');
  const config = options.config ?? resolveConfig(options.settings ?? {});
  const store = options.store ?? (await openStore({ url: config.databaseUrl, dataDir: resolve(config.dataDir) }));
  const ownsStore = !options.store;
  const clock = options.clock ?? systemClock;
  const repo = options.repo ?? repoFromConfig(config);
  const model = options.model ?? createModel(config.model ?? {});
  const author = options.author ?? modelAuthor(model);
  const processId = newId('proc');
  // On PostgreSQL other processes may share the store: elect the generator's leader, lease modifications, serialize merges.
  const cluster = await createCluster(store, processId, () => clock.now(), {
    leaseMs: config.leaseMs,
    ...options.cluster,
    ...(isPostgresUrl(config.databaseUrl) ? { url: config.databaseUrl } : {}),
  });
  const stepDeps: StepDeps = {
    db: store.db,
    repo,
    tests: options.testRunner ?? nodeTestRunner(),
    now: () => clock.now(),
    ...(cluster.exclusive ? { exclusive: cluster.exclusive } : {}),
  };
  let root: AnyActorRef | undefined;
  const codeAccess = new CodeAccess({
    db: store.db,
    repo,
    now: () => clock.now(),
    actor: () => root?.system.get('codeAccess'),
    ...(cluster.claim ? { claim: cluster.claim } : {}),
  });
  const services: TetherServices = { config, store, clock, processId, codeAccess };

  const handlers: TaskHandlers = {
    ...createCodeTaskHandlers({ db: store.db, codeAccess, author }),
    COGNITIVE: createCognitiveHandler(model),
    [NOOP_TASK]: noopHandler,
    ...options.handlers,
  };
  const detectors = cluster.detectors(options.detectors ?? builtInDetectors());
  const machine = tetherMachine.provide({
    actors: {
      ledger: createLedgerActorLogic({ segments: { maxEntries: config.ledgerSegmentEntries } }),
      scheduler: schedulerLogic,
      planner: createPlannerLogic({
        db: store.db,
        methods: options.methods ?? BUILT_IN_METHODS,
        facts: async (goal) => ({
          modelConfigured: model.configured,
          suspectFiles:
            goal.kind === 'fix-task-failure'
              ? (await codeAccess.analyze(evidenceTexts(goal.evidence, goal.description)).catch(() => [])).map((f) => f.path)
              : [],
        }),
      }),
      goalGenerator: goalGeneratorLogic({ store, detectors, ...(options.gates ? { gates: options.gates } : {}) }),
      codeAccess: cluster.codeAccess(createCodeAccessLogic(stepDeps)),
    },
  });
  const system = createActor(machine, {
    systemId: 'tether',
    clock,
    input: {
      inputs: {
        ledger: { store, maintenanceIntervalMs: config.ledgerMaintenanceIntervalMs },
        scheduler: schedulerInput({ db: store.db, handlers, clock, workerId: services.processId, ...options.scheduler }),
        planner: { tickMs: options.plannerTickMs ?? 1000 },
        goalGenerator: { intervalMs: config.generatorIntervalMs, detectors: detectors.map((d) => d.name) },
      },
    },
    ...(options.inspect ? { inspect: options.inspect } : {}),
  });
  root = system;
  system.start();
  // Branches and lock files a crash left behind go before anything else runs (a stop
  // right after start must not leave them for another time). Cheap: one listing, one query.
  await codeAccess.sweepBranches().catch((error) => log.warning('Could not sweep finished branches: {error}', { error: String(error) }));
  // Ledger entries a crash left queued (PostgreSQL) are chained before new ones arrive.
  await flushLedger(store.db).catch((error) => log.warning('Could not chain queued ledger entries: {error}', { error: String(error) }));
  // Warm the test sandbox for the target's current head, off the start-up path.
  void targetRef(repo)
    .then((ref) => refCommit(repo, ref))
    .then((head) => stepDeps.tests.prepare?.(repo, head))
    .catch(() => {});
  cluster.start(() => system.system.get('codeAccess'));
  const app = createApp({ services, system }, options.http);
  log.info('Tether started on the {backend} store', { backend: store.backend });

  let stopped = false;
  return {
    config,
    services,
    system,
    app,
    model,
    cluster,
    async stop() {
      if (stopped) return;
      stopped = true;
      cluster.halt();
      const scheduler = system.system.get('scheduler') as SchedulerActor | undefined;
      if (scheduler) await stopScheduler(scheduler, 'drain').catch((error: unknown) => log.warn('scheduler drain: {error}', { error: String(error) }));
      system.send({ type: 'tether.stop' });
      system.stop();
      await cluster.stop();
      if (ownsStore) await store.close();
      log.info('Tether stopped');
    },
  };
}
