/**
 * An entry's hash: SHA-256 over a domain tag and the canonical JSON of everything the
 * entry says, including the previous hash, so changing any byte of any earlier entry
 * changes every later hash. The tag keeps these hashes from colliding with any other
 * SHA-256 use (seals, Merkle nodes) over the same bytes.
 */
import { canonicalJson } from './canonical-json.ts';
import { sha256Hex } from './sha256.ts';

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

const ENTRY_DOMAIN_BYTES = Buffer.byteLength(ENTRY_DOMAIN);

// The tag and the JSON are hashed as one string (the same bytes as hashing them in turn),
// and measured on that string, which hashing has already flattened: measuring the JSON
// alone would flatten its many concatenated pieces a second time.
export function entryDigest(fields: HashedFields): EntryDigest {
  const tagged = ENTRY_DOMAIN + hashedJson(fields);
  return { hash: sha256Hex(tagged), bytes: Buffer.byteLength(tagged) - ENTRY_DOMAIN_BYTES };
}

export function entryHash(fields: HashedFields): string {
  return sha256Hex(ENTRY_DOMAIN + hashedJson(fields));
}
