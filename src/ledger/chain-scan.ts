/**
 * One verification's walk over the retained entries, page by page: the chain checker plus
 * the two hashes verification needs afterwards (the entry at the checkpoint's seq and at
 * the head row's seq). Plain data in and out, so the walk runs the same in this thread or
 * in the verification worker (verify-worker.ts).
 */
import { ChainChecker, type ChainCheckerOptions } from './chain-checker.ts';
import type { StoredEntry } from './new-entry.ts';
import type { Seal } from './seal.ts';
import type { VerifyFailure } from './verify-result.ts';

export interface ScanStart {
  checker: ChainCheckerOptions;
  /** The head row's seq: its entry's hash is kept (the head may be a watermark behind the end). */
  headSeq: number;
  /** A checkpoint's seq, whose entry's hash is kept. */
  checkpointSeq?: number;
}

export interface ScanEnd {
  /** The first bad entry, if any; the rest of the fields then describe the run up to it. */
  failure?: VerifyFailure;
  /** The seq after the last accepted entry. */
  next: number;
  lastHash: string;
  checked: number;
  sealsChecked: number;
  pendingSeal?: Seal;
  checkpointHash?: string;
  hashAtHead?: string;
}

export class ChainScan {
  #checker: ChainChecker;
  #start: ScanStart;
  #failure: VerifyFailure | undefined;
  #checkpointHash: string | undefined;
  #hashAtHead: string | undefined;

  constructor(start: ScanStart) {
    this.#start = start;
    this.#checker = new ChainChecker(start.checker);
  }

  /** Checks a page; returns the first failure (also kept for end()). */
  push(entries: readonly StoredEntry[]): VerifyFailure | undefined {
    if (this.#failure) return this.#failure;
    const { headSeq, checkpointSeq } = this.#start;
    for (const entry of entries) {
      const bad = this.#checker.push(entry);
      if (bad) return (this.#failure = bad);
      if (entry.seq === checkpointSeq) this.#checkpointHash = entry.hash;
      if (entry.seq === headSeq) this.#hashAtHead = entry.hash;
    }
    return undefined;
  }

  end(): ScanEnd {
    const c = this.#checker;
    return {
      ...(this.#failure ? { failure: this.#failure } : {}),
      next: c.next,
      lastHash: c.lastHash,
      checked: c.checked,
      sealsChecked: c.sealsChecked,
      ...(c.pendingSeal ? { pendingSeal: c.pendingSeal } : {}),
      ...(this.#checkpointHash !== undefined ? { checkpointHash: this.#checkpointHash } : {}),
      ...(this.#hashAtHead !== undefined ? { hashAtHead: this.#hashAtHead } : {}),
    };
  }
}
