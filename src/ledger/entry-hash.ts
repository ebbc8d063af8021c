/**
 * An entry's hash: SHA-256 over a domain tag and the canonical JSON of everything the
 * entry says, including the previous hash, so changing any byte of any earlier entry
 * changes every later hash. The tag keeps these hashes from colliding with any other
 * SHA-256 use (seals, Merkle nodes) over the same bytes.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.ts';

export const ENTRY_DOMAIN = 'tether.ledger.entry.v1\0';
export const GENESIS_HASH = '0'.repeat(64);

export interface HashedFields {
  seq: number;
  at: string;
  actor: string;
  type: string;
  subject: string | null;
  subjects: Record<string, string>;
  payload: Record<string, unknown>;
  prev_hash: string;
}

export function entryHash(fields: HashedFields): string {
  return createHash('sha256').update(ENTRY_DOMAIN).update(canonicalJson(fields)).digest('hex');
}
