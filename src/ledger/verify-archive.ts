/**
 * Verifies one archive file against the seal it should match (taken from the database's
 * seal chain, or from anywhere trusted): every entry re-hashed and linked, the count, last
 * hash, bytes and Merkle root equal to the seal's, and the segment's first entry carrying
 * the previous seal named by `prev_seal_hash`. A file that cannot be read fails, never throws.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import type { LedgerEntry } from './append-entry.ts';
import { ChainChecker, checkSealLink } from './chain-checker.ts';
import { GENESIS_HASH } from './entry-hash.ts';
import { SEALED_ENTRY_TYPE, toSeal, type Seal } from './seal.ts';
import { failure, type VerifyResult } from './verify-result.ts';

export async function verifyArchive(file: string, seal: Seal): Promise<VerifyResult> {
  const own = checkSealLink(seal, undefined);
  if (own) return own;
  let checker: ChainChecker | undefined;
  let lineNo = 0;
  try {
    const lines = createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
    for await (const line of lines) {
      lineNo++;
      if (lineNo === 1 || line === '') continue; // the header is informational: the given seal is the anchor
      const entry = JSON.parse(line) as LedgerEntry;
      if (!checker) {
        if (entry.seq !== seal.first_seq) {
          return failure('SEAL_MISMATCH', seal.first_seq, `The archive starts at ${entry.seq}, not at the seal's first seq ${seal.first_seq}.`);
        }
        let prevHash = GENESIS_HASH;
        let openingSeal: Seal | undefined;
        if (seal.segment > 1) {
          const carried = (entry.payload as { seal?: Record<string, unknown> } | undefined)?.seal;
          openingSeal = carried && entry.type === SEALED_ENTRY_TYPE ? toSeal(carried) : undefined;
          if (!openingSeal || openingSeal.seal_hash !== seal.prev_seal_hash || checkSealLink(openingSeal, undefined)) {
            return failure('SEAL_MISMATCH', entry.seq, `The archive's first entry does not carry the seal before segment ${seal.segment}.`);
          }
          prevHash = openingSeal.last_hash;
        } else if (seal.prev_seal_hash !== GENESIS_HASH) {
          return failure('SEAL_MISMATCH', seal.first_seq, 'The first segment\'s seal must link to the genesis hash.');
        }
        checker = new ChainChecker({ startSeq: seal.first_seq, prevHash, seals: [seal], openingSeal, prevSealHash: seal.prev_seal_hash });
      }
      if (checker.next > seal.last_seq) {
        return failure('SEAL_MISMATCH', checker.next, `The archive holds entries after the seal's last seq ${seal.last_seq}.`);
      }
      const bad = checker.push(entry);
      if (bad) return bad;
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const truncated = /unexpected end|Z_BUF_ERROR/i.test(message) || (error as { code?: string }).code === 'Z_BUF_ERROR';
    return failure(truncated ? 'TRUNCATED' : 'SEAL_MISMATCH', checker?.next ?? seal.first_seq, `The archive ${file} cannot be read: ${message}`);
  }
  const next = checker?.next ?? seal.first_seq;
  if (next !== seal.last_seq + 1) {
    return failure('TRUNCATED', next, `The archive ends at ${next - 1}, before the seal's last seq ${seal.last_seq}.`);
  }
  return { ok: true, checked: checker?.checked ?? 0, headSeq: seal.last_seq, firstSeq: seal.first_seq, seals: 1 };
}
