/**
 * The Merkle tree hash of RFC 9162 (Certificate Transparency v2) over a segment's entry
 * hashes: leaf = SHA-256(0x00 || entry hash), node = SHA-256(0x01 || left || right), split
 * at the largest power of two below n. It is computed incrementally with a stack of perfect
 * subtrees (one per set bit of n), so a segment streams through in O(log n) memory: the
 * RFC's root is those subtrees folded from the right.
 */
import { createHash } from 'node:crypto';

const LEAF = Buffer.from([0x00]);
const NODE = Buffer.from([0x01]);

/** The root of the empty tree: SHA-256 of no bytes. */
export const EMPTY_MERKLE_ROOT = createHash('sha256').digest('hex');

function node(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256').update(NODE).update(left).update(right).digest();
}

export class MerkleAccumulator {
  /** Perfect subtrees, largest first: sizes are distinct powers of two. */
  #sizes: number[] = [];
  #hashes: Buffer[] = [];
  #count = 0;

  get count(): number {
    return this.#count;
  }

  /** Adds one leaf: an entry hash as 64 hex characters. */
  add(entryHashHex: string): void {
    let hash: Buffer = createHash('sha256').update(LEAF).update(Buffer.from(entryHashHex, 'hex')).digest();
    let size = 1;
    while (this.#sizes.length > 0 && this.#sizes[this.#sizes.length - 1] === size) {
      this.#sizes.pop();
      hash = node(this.#hashes.pop()!, hash);
      size *= 2;
    }
    this.#sizes.push(size);
    this.#hashes.push(hash);
    this.#count++;
  }

  /** The tree hash of every leaf added so far, as hex. */
  root(): string {
    if (this.#hashes.length === 0) return EMPTY_MERKLE_ROOT;
    let acc = this.#hashes[this.#hashes.length - 1]!;
    for (let i = this.#hashes.length - 2; i >= 0; i--) acc = node(this.#hashes[i]!, acc);
    return acc.toString('hex');
  }
}

export function merkleRoot(entryHashes: Iterable<string>): string {
  const acc = new MerkleAccumulator();
  for (const h of entryHashes) acc.add(h);
  return acc.root();
}
