/**
 * The goal generator's gates (SPEC §5), in order: confidence, duplicate, rate limits,
 * policy. Each finding yields one goal_proposals row and one ledger entry saying what
 * happened and why; an accepted one also yields its goal, all in one transaction.
 *
 * The counts behind the gates are read from the store inside that transaction, in
 * database time, after taking a transaction-scoped advisory lock. So evaluations
 * serialize across callers, connections and processes (20 concurrent proposals at a
 * count of 9 admit exactly one), a restart loses nothing (nothing is counted in memory),
 * and a process clock moved back cannot open quota (rows stamped in the future still
 * count: the window has no upper bound).
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { TetherError } from '../errors.ts';
import { newId } from '../ids.ts';
import { appendEntry } from '../ledger/append-entry.ts';
import type { Database } from '../store/schema.ts';
import { OPEN_GOAL_STATUSES } from '../../machines/goal.ts';
import { validateFinding, type Finding } from './finding.ts';
import { fingerprintFinding } from './fingerprint.ts';
import { createGoal, type Goal } from './goal-store.ts';
import { checkPolicy, type GoalPolicy } from './policy.ts';

/**
 * The advisory lock every gate evaluation holds: "tethgate" in ASCII. Transaction-scoped,
 * so it is released on commit, rollback or a dropped connection; never held across awaits
 * of anything but the store.
 */
export const GATE_LOCK_KEY = '8387236823829439589';

export type GateCode = 'LOW_CONFIDENCE' | 'DUPLICATE_GOAL' | 'GOAL_RATE_LIMITED' | 'DETECTOR_RATE_LIMITED' | 'POLICY_MISALIGNED';

export interface GateOptions {
  /** Findings below this confidence are refused (default 0.7). */
  minConfidence?: number;
  /** Findings above this confidence become active goals without a person (default 0.9). */
  autoApproveAbove?: number;
  /** How far back an accepted proposal makes a new one a duplicate, in days (default 7). */
  duplicateDays?: number;
  /** The rolling rate-limit window in hours (default 24). */
  rateWindowHours?: number;
  /** System goals allowed per window (default 10). */
  maxSystemGoals?: number;
  /** Goals allowed per detector per window (default 3). */
  maxPerDetector?: number;
  policy?: GoalPolicy;
  /** The ledger actor (default `goalGenerator`). */
  actor?: string;
}

export interface GateResult {
  proposalId: string;
  fingerprint: string;
  /** The proposal's outcome: the goal's status when accepted, else the refusing gate's code. */
  outcome: 'active' | 'proposed' | GateCode;
  accepted: boolean;
  reason: string;
  /** The goal created, when accepted. */
  goal?: Goal;
  /** The refusal as an error, for callers that report errors uniformly. */
  error?: TetherError;
}

interface Refusal {
  code: GateCode;
  reason: string;
  data: Record<string, unknown>;
}

export const DEFAULT_GATES = {
  minConfidence: 0.7,
  autoApproveAbove: 0.9,
  duplicateDays: 7,
  rateWindowHours: 24,
  maxSystemGoals: 10,
  maxPerDetector: 3,
} as const;

/** Outcomes of proposals that became goals: only these make a later finding a duplicate. */
const ACCEPTED_OUTCOMES = ['active', 'proposed'];

async function findDuplicate(trx: Transaction<Database>, fingerprint: string, days: number): Promise<Refusal | undefined> {
  const hit = await sql<{ what: string; id: string; state: string }>`
    (select 'goal' as what, id, status as state from goals
      where fingerprint = ${fingerprint} and status = any(${[...OPEN_GOAL_STATUSES]}::text[])
      limit 1)
    union all
    (select 'proposal' as what, id, outcome as state from goal_proposals
      where fingerprint = ${fingerprint} and outcome = any(${ACCEPTED_OUTCOMES}::text[])
        and created_at > now() - make_interval(days => ${days})
      limit 1)
    limit 1`.execute(trx);
  const row = hit.rows[0];
  if (!row) return undefined;
  return {
    code: 'DUPLICATE_GOAL',
    reason:
      row.what === 'goal'
        ? `repeats the open goal ${row.id} (${row.state})`
        : `repeats proposal ${row.id} of the last ${days} days`,
    data: { [row.what]: row.id },
  };
}

async function checkRates(trx: Transaction<Database>, detector: string, o: Required<Omit<GateOptions, 'policy' | 'actor'>>): Promise<Refusal | undefined> {
  // One read for both counters; each is its own limit and reports its own code.
  const counts = await sql<{ system: string; detector: string }>`
    select count(*) filter (where source = 'system') as system,
           count(*) filter (where detector = ${detector}) as detector
      from goals
     where created_at > now() - make_interval(hours => ${o.rateWindowHours})
       and (source = 'system' or detector = ${detector})`.execute(trx);
  const system = Number(counts.rows[0]?.system ?? 0);
  const own = Number(counts.rows[0]?.detector ?? 0);
  if (system >= o.maxSystemGoals) {
    return {
      code: 'GOAL_RATE_LIMITED',
      reason: `${system} system goals in the last ${o.rateWindowHours} hours (limit ${o.maxSystemGoals})`,
      data: { count: system, limit: o.maxSystemGoals },
    };
  }
  if (own >= o.maxPerDetector) {
    return {
      code: 'DETECTOR_RATE_LIMITED',
      reason: `${own} goals from ${detector} in the last ${o.rateWindowHours} hours (limit ${o.maxPerDetector})`,
      data: { count: own, limit: o.maxPerDetector },
    };
  }
  return undefined;
}

/** Gates one finding and records the outcome; never throws for a refusal, only for bad input or a store failure. */
export async function evaluateFinding(
  store: { db: Kysely<Database> },
  input: Finding,
  options: GateOptions = {},
): Promise<GateResult> {
  const finding = validateFinding(input);
  const o = { ...DEFAULT_GATES, ...stripUndefined(options) } as Required<Omit<GateOptions, 'policy' | 'actor'>>;
  const actor = options.actor ?? 'goalGenerator';
  const fingerprint = fingerprintFinding(finding);
  // Confidence and policy depend on the finding alone: decided before the lock, so a slow
  // policy hook never holds every other evaluation up. They are still applied in SPEC order.
  const lowConfidence = finding.confidence < o.minConfidence;
  const policyReason = lowConfidence ? undefined : await checkPolicy(finding, options.policy);

  return store.db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(${GATE_LOCK_KEY}::bigint)`.execute(trx);
    let refusal: Refusal | undefined;
    if (lowConfidence) {
      refusal = {
        code: 'LOW_CONFIDENCE',
        reason: `confidence ${finding.confidence} is below ${o.minConfidence}`,
        data: { confidence: finding.confidence, min: o.minConfidence },
      };
    }
    refusal ??= await findDuplicate(trx, fingerprint, o.duplicateDays);
    refusal ??= await checkRates(trx, finding.detector, o);
    if (!refusal && policyReason) refusal = { code: 'POLICY_MISALIGNED', reason: policyReason, data: {} };

    const proposalId = newId('prop');
    const auto = !refusal && finding.confidence > o.autoApproveAbove;
    const outcome: GateResult['outcome'] = refusal ? refusal.code : auto ? 'active' : 'proposed';
    const reason = refusal
      ? refusal.reason
      : auto
        ? `confidence ${finding.confidence} is above ${o.autoApproveAbove}: active without a person's approval`
        : `passed every gate; waits for a person's approval`;

    let goal: Goal | undefined;
    if (!refusal) {
      goal = await createGoal(
        trx,
        {
          title: finding.title,
          description: finding.description ?? finding.title,
          kind: finding.kind,
          source: 'system',
          createdBy: finding.detector,
          status: auto ? 'active' : 'proposed',
          proposalId,
          autoApproved: auto,
          priority: finding.priority ?? 0,
          evidence: { subject: finding.subject, ...finding.evidence },
          fingerprint,
          detector: finding.detector,
          confidence: finding.confidence,
        },
        { actor },
      );
    }
    await trx
      .insertInto('goal_proposals')
      .values({
        id: proposalId,
        detector: finding.detector,
        fingerprint,
        confidence: finding.confidence,
        outcome,
        reason,
        goal_id: goal?.id ?? null,
        finding: JSON.stringify(finding),
      })
      .execute();
    await appendEntry(trx, {
      actor,
      type: refusal ? 'goal.proposal.refused' : 'goal.proposal.accepted',
      subjects: { proposal: proposalId, ...(goal ? { goal: goal.id } : {}) },
      payload: {
        outcome,
        reason,
        detector: finding.detector,
        kind: finding.kind,
        subject: finding.subject,
        confidence: finding.confidence,
        fingerprint,
        ...(refusal ? { code: refusal.code, ...refusal.data } : {}),
      },
    });
    const result: GateResult = { proposalId, fingerprint, outcome, accepted: !refusal, reason };
    if (goal) result.goal = goal;
    if (refusal) {
      result.error = new TetherError(refusal.code, `Finding refused: ${refusal.reason}`, {
        proposal: proposalId,
        fingerprint,
        ...refusal.data,
      });
    }
    return result;
  });
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
