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

/** The hash and the canonical size in bytes (what "seal by size" counts). */
export interface EntryDigest {
  hash: string;
  bytes: number;
}

/**
 * Exactly the hashed fields, so a superset (an entry with its hash) hashes the same. The
 * top level is written in its sorted key order directly; it equals canonicalJson of the
 * eight fields (a test holds it to that).
 */
export function hashedJson(f: HashedFields): string {
  return (
    `{"actor":${JSON.stringify(f.actor)},"at":${JSON.stringify(f.at)},"payload":${canonicalJson(f.payload)}` +
    `,"prev_hash":${JSON.stringify(f.prev_hash)},"seq":${canonicalJson(f.seq)},"subject":${canonicalJson(f.subject)}` +
    `,"subjects":${canonicalJson(f.subjects)},"type":${JSON.stringify(f.type)}}`
  );
}

export function entryDigest(fields: HashedFields): EntryDigest {
  const canonical = hashedJson(fields);
  const hash = createHash('sha256').update(ENTRY_DOMAIN).update(canonical).digest('hex');
  return { hash, bytes: Buffer.byteLength(canonical) };
}

export function entryHash(fields: HashedFields): string {
  return createHash('sha256').update(ENTRY_DOMAIN).update(hashedJson(fields)).digest('hex');
}
