/**
 * The policy gate: what kinds of goals the generator may create, which areas are off
 * limits and how much risk is acceptable, plus a hook for checks data cannot express
 * (beliefs, a model's judgement). Data first, hook last; the first refusal is the reason.
 */
import { RISK_ORDER, type Finding, type Risk } from './finding.ts';

/** A hook's answer: true to allow, or a reason to refuse. */
export type PolicyVerdict = true | { reason: string };

export interface GoalPolicy {
  /**
   * Areas no generated goal may touch: a finding whose `areas` or subject equals one of
   * these or lies under it (`src/policy` covers `src/policy/rules.ts`) is refused.
   */
  forbiddenAreas?: string[];
  /** Goal kinds the generator may create; all kinds when absent. */
  allowedKinds?: string[];
  /** The highest acceptable risk (default `high`: every risk). */
  maxRisk?: Risk;
  /** A final check; may be async. A throw counts as a refusal with the error's message. */
  check?: (finding: Finding) => PolicyVerdict | Promise<PolicyVerdict>;
}

function under(area: string, forbidden: string): boolean {
  const a = area.trim().replace(/\/+$/, '');
  const f = forbidden.trim().replace(/\/+$/, '');
  return f !== '' && (a === f || a.startsWith(`${f}/`) || a.startsWith(`${f}.`));
}

/** Applies the policy to a finding: undefined when aligned, else the reason it is not. */
export async function checkPolicy(finding: Finding, policy: GoalPolicy = {}): Promise<string | undefined> {
  if (policy.allowedKinds && !policy.allowedKinds.includes(finding.kind)) {
    return `goal kind ${finding.kind} is not among the allowed kinds (${policy.allowedKinds.join(', ') || 'none'})`;
  }
  const areas = [finding.subject, ...(finding.areas ?? [])];
  for (const forbidden of policy.forbiddenAreas ?? []) {
    const hit = areas.find((area) => under(area, forbidden));
    if (hit !== undefined) return `${hit} lies in the forbidden area ${forbidden}`;
  }
  const risk = finding.risk ?? 'low';
  const max = policy.maxRisk ?? 'high';
  if (RISK_ORDER.indexOf(risk) > RISK_ORDER.indexOf(max)) return `risk ${risk} exceeds the maximum ${max}`;
  if (policy.check) {
    try {
      const verdict = await policy.check(finding);
      if (verdict !== true) return verdict?.reason || 'refused by the policy check';
    } catch (error) {
      return `the policy check failed: ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  return undefined;
}
