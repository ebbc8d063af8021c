/**
 * The detector interface users implement to add their own: a name and a `scan` that
 * reads the store (incrementally, from its own watermark) and returns findings.
 * `detectorLogic` (actors/detectors/detector-actor.ts) turns one into an XState actor that
 * emits `detector.finding` events to its parent; a detector written directly as an actor
 * only has to follow the same events (machines/detector.ts: DetectorCommand, DetectorReport).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.ts';
import type { Finding } from './finding.ts';

export type { DetectorCommand, DetectorReport } from '../../machines/detector.ts';

/** The part of the store a detector reads. */
export interface DetectorStore {
  db: Kysely<Database>;
}

export interface Detector {
  /**
   * Unique, camelCase: the findings' `detector`, the watermark key, and the actor's
   * systemId as `detector.<name>`.
   */
  readonly name: string;
  /** Reads what is new since the last scan and returns what it found (possibly nothing). */
  scan(store: DetectorStore): Promise<Finding[]>;
}
