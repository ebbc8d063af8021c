/**
 * The one place that decides whether a run of entries is intact: verification, sealing and
 * archive checks all push entries through it in seq order and stop at the first failure.
 * Per entry: seq is the next one (SEQ_GAP), prev_hash is the previous entry's hash
 * (PREV_HASH_MISMATCH), the stored hash is the recomputed one (HASH_MISMATCH). At a seal's
 * last seq: the seal's own hash, its link to the previous seal, its count, last hash and
 * Merkle root must match what went by, and the very next entry must carry that seal
 * (SEAL_MISMATCH).
 */
import { canonicalJson } from './canonical-json.ts';
import { entryDigest, storedDigest, type EntryDigest } from './entry-hash.ts';
import { MerkleAccumulator } from './merkle.ts';
import type { LedgerEntry, StoredEntry } from './new-entry.ts';
import { SEALED_ENTRY_TYPE, sameSeal, sealHash, toSeal, type Seal } from './seal.ts';
import { failure, type VerifyFailure } from './verify-result.ts';

export interface ChainCheckerOptions {
  /** The seq the first entry must have. */
  startSeq: number;
  /** What the first entry's prev_hash must be. */
  prevHash: string;
  /** Seals ending at or after startSeq, in order; each is checked when its last entry passes. */
  seals?: readonly Seal[];
  /** The seal the first entry must carry (when startSeq opens a segment after the first). */
  openingSeal?: Seal;
  /** The seal_hash the next seal must link to. */
  prevSealHash?: string;
  /**
   * Keep the Merkle root of entries after the last given seal (default true: sealing needs
   * it). Verification passes false: no seal checks that root, and it costs two SHA-256
   * calls per entry.
   */
  openSegmentMerkle?: boolean;
}

type CheckedEntry = LedgerEntry | StoredEntry;

function isStored(entry: CheckedEntry): entry is StoredEntry {
  return (entry as StoredEntry).payloadJson !== undefined;
}

/**
 * The digest of an entry as read, undefined if it has none (content that was never hashed,
 * so altered). Stored text is hashed as it is; if that misses, it is parsed and hashed in
 * canonical form, which accepts text stored in another form with the same values (rows
 * written before migration 0005 kept jsonb's formatting) and rejects everything else.
 */
function digestOf(entry: CheckedEntry): EntryDigest | undefined {
  try {
    if (!isStored(entry)) return entryDigest(entry);
    const digest = storedDigest(entry);
    if (digest.hash === entry.hash) return digest;
    const subjects = canonicalJson(JSON.parse(entry.subjectsJson));
    const payload = canonicalJson(JSON.parse(entry.payloadJson));
    if (subjects === entry.subjectsJson && payload === entry.payloadJson) return digest;
    return storedDigest({ ...entry, subjectsJson: subjects, payloadJson: payload });
  } catch {
    // Unparseable text, or no canonical form (a number too large for a double reads as
    // Infinity): such content was never hashed.
    return undefined;
  }
}

/** The payload's seal, if the entry carries one (a tampered row may hold any JSON there). */
function carriedSeal(entry: CheckedEntry): Record<string, unknown> | undefined {
  let payload: unknown;
  try {
    payload = isStored(entry) ? JSON.parse(entry.payloadJson) : entry.payload;
  } catch {
    return undefined;
  }
  const seal = (payload as { seal?: unknown } | null)?.seal;
  return seal && typeof seal === 'object' ? (seal as Record<string, unknown>) : undefined;
}

/** Checks one seal's own hash and its link to the seal before it. */
export function checkSealLink(seal: Seal, prevSealHash: string | undefined): VerifyFailure | undefined {
  if (sealHash(seal) !== seal.seal_hash) {
    return failure('SEAL_MISMATCH', seal.last_seq, `The seal of segment ${seal.segment} does not match its own hash: it was altered.`);
  }
  if (prevSealHash !== undefined && seal.prev_seal_hash !== prevSealHash) {
    return failure('SEAL_MISMATCH', seal.last_seq, `The seal of segment ${seal.segment} does not link to the previous seal.`);
  }
  return undefined;
}

export class ChainChecker {
  #next: number;
  #prevHash: string;
  #seals: Map<number, Seal>;
  #pending: Seal | undefined;
  #prevSealHash: string | undefined;
  #segmentStart: number;
  #merkle = new MerkleAccumulator();
  #checked = 0;
  #bytes = 0;
  #sealsChecked = 0;
  /** Entries up to this seq feed the Merkle root (Infinity: all of them). */
  #merkleThrough: number;

  constructor(options: ChainCheckerOptions) {
    this.#next = options.startSeq;
    this.#prevHash = options.prevHash;
    this.#seals = new Map((options.seals ?? []).map((s) => [s.last_seq, s]));
    this.#pending = options.openingSeal;
    this.#prevSealHash = options.prevSealHash;
    this.#segmentStart = options.startSeq;
    let lastSealSeq = 0;
    for (const seal of this.#seals.values()) lastSealSeq = Math.max(lastSealSeq, seal.last_seq);
    this.#merkleThrough = options.openSegmentMerkle === false ? lastSealSeq : Infinity;
  }

  /** The seq the next entry must have. */
  get next(): number {
    return this.#next;
  }

  /** The last accepted entry's hash (the start's prev hash before any). */
  get lastHash(): string {
    return this.#prevHash;
  }

  get checked(): number {
    return this.#checked;
  }

  get sealsChecked(): number {
    return this.#sealsChecked;
  }

  /**
   * The Merkle root of the entries since the segment start (what a seal now would say);
   * past the last given seal it stays empty when openSegmentMerkle is false.
   */
  get merkle(): MerkleAccumulator {
    return this.#merkle;
  }

  /** Canonical bytes of the entries since the segment start. */
  get segmentBytes(): number {
    return this.#bytes;
  }

  get segmentStart(): number {
    return this.#segmentStart;
  }

  /** A seal whose carrying entry has not arrived yet (the chain ended right after it). */
  get pendingSeal(): Seal | undefined {
    return this.#pending;
  }

  push(entry: CheckedEntry): VerifyFailure | undefined {
    const seq = entry.seq;
    if (seq !== this.#next) {
      return failure('SEQ_GAP', this.#next, `Entry ${this.#next} is missing: the next entry found is ${seq}.`);
    }
    if (entry.prev_hash !== this.#prevHash) {
      return failure('PREV_HASH_MISMATCH', seq, `Entry ${seq} does not link to entry ${seq - 1}: its prev_hash differs.`);
    }
    const digest = digestOf(entry);
    if (digest?.hash !== entry.hash) {
      return failure('HASH_MISMATCH', seq, `Entry ${seq} was altered: its content does not match its hash.`);
    }
    const sealFailure = this.#checkCarrier(entry);
    if (sealFailure) return sealFailure;
    if (seq <= this.#merkleThrough) this.#merkle.add(entry.hash);
    this.#bytes += digest.bytes;
    this.#checked++;
    this.#prevHash = entry.hash;
    this.#next = seq + 1;
    const seal = this.#seals.get(seq);
    if (seal) return this.#closeSegment(seal, entry);
    return undefined;
  }

  #checkCarrier(entry: CheckedEntry): VerifyFailure | undefined {
    const pending = this.#pending;
    if (!pending) {
      if (entry.type === SEALED_ENTRY_TYPE) {
        return failure('SEAL_MISMATCH', entry.seq, `Entry ${entry.seq} carries a seal that no seal row matches.`);
      }
      return undefined;
    }
    this.#pending = undefined;
    const carried = carriedSeal(entry);
    if (entry.type !== SEALED_ENTRY_TYPE || !carried || !sameSeal(toSeal(carried), pending)) {
      return failure(
        'SEAL_MISMATCH',
        entry.seq,
        `Entry ${entry.seq} should carry the seal of segment ${pending.segment}, and the seal row differs from it.`,
      );
    }
    return undefined;
  }

  #closeSegment(seal: Seal, last: CheckedEntry): VerifyFailure | undefined {
    const linkFailure = checkSealLink(seal, this.#prevSealHash);
    if (linkFailure) return linkFailure;
    const count = this.#merkle.count;
    if (
      seal.first_seq !== this.#segmentStart ||
      seal.count !== count ||
      seal.last_seq - seal.first_seq + 1 !== count ||
      seal.last_hash !== last.hash ||
      seal.bytes !== this.#bytes ||
      seal.merkle_root !== this.#merkle.root()
    ) {
      return failure('SEAL_MISMATCH', seal.last_seq, `The seal of segment ${seal.segment} does not match its entries.`);
    }
    this.#sealsChecked++;
    this.#pending = seal;
    this.#prevSealHash = seal.seal_hash;
    this.#merkle = new MerkleAccumulator();
    this.#bytes = 0;
    this.#segmentStart = seal.last_seq + 1;
    return undefined;
  }
}
