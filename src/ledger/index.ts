/** The ledger's public surface, for actors, the CLI and the HTTP layer. */
export { appendChained, appendEntry, mainSubject, type LedgerEntry, type LedgerInput } from './append-entry.ts';
export { flushLedger, forgetLedgerHead, syncLedgerHead } from './ledger-writer.ts';
export { archiveAndPrune, type ArchiveAndPruneResult, type SegmentOutcome } from './archive-and-prune.ts';
export { ARCHIVE_FORMAT, archiveFileName } from './archive-file.ts';
export { canonicalJson } from './canonical-json.ts';
export { exportCheckpoint, readCheckpoint, type Checkpoint } from './checkpoint.ts';
export { entryHash, GENESIS_HASH, type HashedFields } from './entry-hash.ts';
export { merkleRoot, MerkleAccumulator, EMPTY_MERKLE_ROOT } from './merkle.ts';
export { readLedger, type LedgerPage, type ReadLedgerOptions } from './read-ledger.ts';
export { readSeals, type SealRecord } from './read-seals.ts';
export { SEALED_ENTRY_TYPE, sealHash, type Seal, type SealFields } from './seal.ts';
export { sealSegment, type SealOptions, type SealOutcome } from './seal-segment.ts';
export { DEFAULT_SEGMENT_POLICY, type RetentionPolicy, type SegmentPolicy } from './segment-policy.ts';
export { verifyArchive } from './verify-archive.ts';
export { verifyLedger, type VerifyOptions } from './verify-ledger.ts';
export type { VerifyFailure, VerifyFailureCode, VerifyOk, VerifyResult } from './verify-result.ts';
