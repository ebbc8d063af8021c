/**
 * Runs detectors and gates their findings, once, without actors: what `tether detect`
 * calls, and what the goal generator actor's evaluation step is built from. Like Kysely's
 * migrator it returns a result per detector and per finding instead of throwing midway:
 * one detector's failure does not hide the others' findings.
 */
import { toTetherError, type TetherError } from '../errors.ts';
import type { Detector, DetectorStore } from './detector.ts';
import { evaluateFinding, type GateOptions, type GateResult } from './evaluate-finding.ts';
import type { Finding } from './finding.ts';

export interface FindingResult {
  finding: Finding;
  /** The gates' verdict; absent when the finding could not be evaluated. */
  result?: GateResult;
  /** Why it could not be evaluated (an invalid finding, a store failure). */
  error?: TetherError;
}

export interface DetectorRun {
  detector: string;
  findings: FindingResult[];
  /** Set when the scan itself failed. */
  error?: TetherError;
}

/** Gates findings one after another, each in its own transaction. */
export async function evaluateFindings(store: DetectorStore, findings: Finding[], gates: GateOptions = {}): Promise<FindingResult[]> {
  const results: FindingResult[] = [];
  for (const finding of findings) {
    try {
      results.push({ finding, result: await evaluateFinding(store, finding, gates) });
    } catch (error) {
      results.push({ finding, error: toTetherError(error) });
    }
  }
  return results;
}

export interface RunDetectorsOptions {
  gates?: GateOptions;
  /** Scan only, without gating (a dry run): findings come back without results. */
  dryRun?: boolean;
}

/** Scans every detector once and gates what it finds. */
export async function runDetectors(store: DetectorStore, detectors: Detector[], options: RunDetectorsOptions = {}): Promise<DetectorRun[]> {
  const runs: DetectorRun[] = [];
  for (const detector of detectors) {
    let findings: Finding[];
    try {
      findings = await detector.scan(store);
    } catch (error) {
      runs.push({ detector: detector.name, findings: [], error: toTetherError(error) });
      continue;
    }
    runs.push({
      detector: detector.name,
      findings: options.dryRun ? findings.map((finding) => ({ finding })) : await evaluateFindings(store, findings, options.gates),
    });
  }
  return runs;
}
