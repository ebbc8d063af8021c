/**
 * A finding's fingerprint: SHA-256 of the canonical JSON of what identifies it (detector,
 * kind, subject and its normalized error set) and nothing that merely describes it (title,
 * counts, timestamps, confidence). Canonical JSON sorts keys, whitespace is collapsed and
 * errors are normalized, deduplicated and sorted, so variants that differ only in field
 * order, spacing, ids or numbers share one fingerprint.
 */
import { createHash } from 'node:crypto';
import { normalizeErrorMessage } from '../history/normalize-error.ts';
import { canonicalJson } from '../ledger/canonical-json.ts';
import type { Finding } from './finding.ts';

const DOMAIN = 'tether.finding.v1\0';

function squash(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function errorText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { message?: unknown }).message === 'string') {
    return (value as { message: string }).message;
  }
  return undefined;
}

/** The identifying part of a finding, as the fingerprint hashes it. */
export function fingerprintKey(finding: Pick<Finding, 'detector' | 'kind' | 'subject' | 'evidence'>): Record<string, unknown> {
  const raw = Array.isArray(finding.evidence?.errors) ? (finding.evidence.errors as unknown[]) : [];
  const errors = [...new Set(raw.map(errorText).filter((e): e is string => e !== undefined).map(normalizeErrorMessage))]
    .filter((e) => e !== '')
    .sort();
  return {
    detector: squash(finding.detector),
    kind: squash(finding.kind),
    subject: squash(finding.subject),
    errors,
  };
}

export function fingerprintFinding(finding: Pick<Finding, 'detector' | 'kind' | 'subject' | 'evidence'>): string {
  return createHash('sha256').update(DOMAIN).update(canonicalJson(fingerprintKey(finding))).digest('hex');
}
