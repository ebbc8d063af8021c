/**
 * What verification reports. A broken ledger is data, not an exception: the first bad seq
 * and why, so the CLI and the HTTP layer print it and the ledger actor moves to its
 * `tampered` state.
 */
export type VerifyFailureCode = 'HASH_MISMATCH' | 'PREV_HASH_MISMATCH' | 'SEQ_GAP' | 'SEAL_MISMATCH' | 'TRUNCATED';

export interface VerifyOk {
  ok: true;
  /** Entries whose hash was recomputed. */
  checked: number;
  /** The head's seq (0 for an empty ledger). */
  headSeq: number;
  /** The oldest entry still in the database (head + 1 when none are). */
  firstSeq: number;
  /** Seals checked, pruned segments' seals included. */
  seals: number;
  /**
   * Given a checkpoint: `matched` when its seq and hash were found, `pruned` when its seq
   * lies in a pruned segment that ends elsewhere (check it against that segment's archive).
   */
  checkpoint?: 'matched' | 'pruned';
}

export interface VerifyFailure {
  ok: false;
  code: VerifyFailureCode;
  /** The first seq found bad. */
  seq: number;
  message: string;
}

export type VerifyResult = VerifyOk | VerifyFailure;

export function failure(code: VerifyFailureCode, seq: number, message: string): VerifyFailure {
  return { ok: false, code, seq, message };
}
