/**
 * A seal: what a closed segment is, in a few fields, and the hash that names it. The hash
 * is domain-separated like entry hashes and chains to the previous seal, so the seals form
 * a second, sparse chain that survives pruning of the entries they cover.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';

export const SEAL_DOMAIN = 'tether.ledger.seal.v1\0';
/** The type of the entry that opens every segment after the first and carries the seal. */
export const SEALED_ENTRY_TYPE = 'ledger.sealed';

export interface SealFields {
  /** 1 for the first segment, then consecutive. */
  segment: number;
  first_seq: number;
  last_seq: number;
  count: number;
  /** Canonical JSON bytes of the segment's entries. */
  bytes: number;
  /** Hash of the entry at last_seq. */
  last_hash: string;
  /** RFC 9162 tree hash over the segment's entry hashes, in seq order. */
  merkle_root: string;
  /** The previous seal's seal_hash (64 zeros for segment 1). */
  prev_seal_hash: string;
  /** ISO time of sealing. */
  sealed_at: string;
}

export interface Seal extends SealFields {
  seal_hash: string;
}

export function sealHash(fields: SealFields): string {
  const canonical = canonicalJson({
    segment: fields.segment,
    first_seq: fields.first_seq,
    last_seq: fields.last_seq,
    count: fields.count,
    bytes: fields.bytes,
    last_hash: fields.last_hash,
    merkle_root: fields.merkle_root,
    prev_seal_hash: fields.prev_seal_hash,
    sealed_at: fields.sealed_at,
  });
  return createHash('sha256').update(SEAL_DOMAIN).update(canonical).digest('hex');
}

/** A seal row (numbers may come back as strings or bigints) as a Seal. */
export function toSeal(row: Record<string, unknown>): Seal {
  return {
    segment: Number(row.segment),
    first_seq: Number(row.first_seq),
    last_seq: Number(row.last_seq),
    count: Number(row.count),
    bytes: Number(row.bytes),
    last_hash: String(row.last_hash),
    merkle_root: String(row.merkle_root),
    prev_seal_hash: String(row.prev_seal_hash),
    sealed_at: String(row.sealed_at),
    seal_hash: String(row.seal_hash),
  };
}

/** The fields two seals must agree on (the row and the copy the chain carries). */
export function sameSeal(a: Seal, b: Seal): boolean {
  return canonicalJson(toSeal(a as unknown as Record<string, unknown>)) === canonicalJson(toSeal(b as unknown as Record<string, unknown>));
}
