/**
 * Turns a Detector (a name and a scan) into the detector actor: machines/detector.ts with
 * its `scan` actor provided. Spawned by the goal generator under systemId
 * `detector.<name>`, it answers `detector.scan` with `detector.finding` events.
 */
import { fromPromise } from 'xstate';
import type { Detector, DetectorStore } from '../../src/goals/detector.ts';
import type { Finding } from '../../src/goals/finding.ts';
import { detectorMachine } from '../../machines/detector.ts';

export function detectorLogic(detector: Detector, store: DetectorStore) {
  return detectorMachine.provide({
    actors: {
      scan: fromPromise<Finding[], { name: string }>(() => detector.scan(store)),
    },
  });
}

/** The systemId a detector's actor is registered under. */
export function detectorSystemId(name: string): string {
  return `detector.${name}`;
}
