/**
 * A finding: what a detector reports and the goal generator gates. It becomes a goal
 * proposal; its fingerprint decides whether it repeats an open goal or a recent proposal.
 */
import { TetherError } from '../errors.ts';

/** How much a goal born from the finding could disturb, for the policy's maximum risk. */
export type Risk = 'low' | 'medium' | 'high';

export const RISK_ORDER: readonly Risk[] = ['low', 'medium', 'high'];

export interface Finding {
  /** The detector's name, e.g. `taskFailure`: the per-detector rate limit's key. */
  detector: string;
  /** The goal kind it proposes, e.g. `fix-task-failure`: the planner's method key. */
  kind: string;
  /** A one-line title for the goal. */
  title: string;
  /** What the finding is about, e.g. the task type. */
  subject: string;
  /** Supporting data; `errors` (strings) takes part in the fingerprint. */
  evidence: Record<string, unknown>;
  /** 0..1: how sure the detector is; gated at 0.7 and auto-approved above 0.9. */
  confidence: number;
  /** Longer text for the goal; defaults to the title. */
  description?: string;
  /** Goal priority (higher first); default 0. */
  priority?: number;
  /** Default `low`. */
  risk?: Risk;
  /** Code areas the goal would touch (paths or subsystem names), checked against the policy. */
  areas?: string[];
}

/** Checks a finding's shape; throws VALIDATION_FAILED naming every problem. */
export function validateFinding(value: unknown): Finding {
  const f = value as Partial<Finding> | null;
  const problems: string[] = [];
  if (!f || typeof f !== 'object') {
    problems.push('a finding must be an object');
  } else {
    for (const key of ['detector', 'kind', 'title', 'subject'] as const) {
      if (typeof f[key] !== 'string' || f[key]!.trim() === '') problems.push(`${key} must be a non-empty string`);
    }
    if (typeof f.confidence !== 'number' || !(f.confidence >= 0 && f.confidence <= 1)) {
      problems.push('confidence must be a number from 0 to 1');
    }
    if (!f.evidence || typeof f.evidence !== 'object' || Array.isArray(f.evidence)) problems.push('evidence must be an object');
    if (f.risk !== undefined && !RISK_ORDER.includes(f.risk)) problems.push('risk must be low, medium or high');
    if (f.areas !== undefined && !(Array.isArray(f.areas) && f.areas.every((a) => typeof a === 'string'))) {
      problems.push('areas must be an array of strings');
    }
    if (f.priority !== undefined && !Number.isInteger(f.priority)) problems.push('priority must be an integer');
  }
  if (problems.length) throw new TetherError('VALIDATION_FAILED', `Invalid finding: ${problems.join('; ')}`, { problems });
  return f as Finding;
}
