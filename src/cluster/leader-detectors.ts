/**
 * Detectors that scan only in the leading process. Every process runs the goal
 * generator's statechart (so `goalGenerator.submit` and the API work anywhere), but in a
 * follower each detector reports nothing, so only the leader's scheduled passes read the
 * store and propose goals. Gate decisions are serialized in the database anyway
 * (src/goals/evaluate-finding.ts); this keeps the detectors' work, and their watermarks,
 * in one process.
 */
import type { Detector } from '../goals/detector.ts';

export function leaderOnly(detectors: readonly Detector[], isLeader: () => boolean): Detector[] {
  return detectors.map((detector) => ({
    name: detector.name,
    scan: async (store) => (isLeader() ? detector.scan(store) : []),
  }));
}
