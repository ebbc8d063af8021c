/** Goals: the store, findings and their fingerprints, the gates, and the detector interface. */
export * from './goal-store.ts';
export * from './finding.ts';
export * from './fingerprint.ts';
export * from './policy.ts';
export * from './evaluate-finding.ts';
export * from './detector.ts';
export * from './run-detectors.ts';
