/**
 * The archive format of one sealed segment: gzip-compressed JSON lines. The first line is
 * a header with the seal; every other line is one entry in canonical JSON, in seq order,
 * exactly the fields that were hashed plus the hash. Deterministic, so archiving a segment
 * twice writes the same bytes.
 */
import { createHash } from 'node:crypto';
import { closeSync, createWriteStream, fsyncSync, openSync, readFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { canonicalJson } from './canonical-json.ts';
import { entryPages } from './entry-pages.ts';
import type { LedgerDb } from './ledger-tables.ts';
import type { Seal } from './seal.ts';

export const ARCHIVE_FORMAT = 'tether.ledger.segment.v1';

export interface ArchiveHeader {
  format: typeof ARCHIVE_FORMAT;
  seal: Seal;
}

export function archiveFileName(segment: number): string {
  return `ledger-segment-${String(segment).padStart(8, '0')}.jsonl.gz`;
}

async function* archiveLines(db: LedgerDb, seal: Seal): AsyncGenerator<string> {
  const header: ArchiveHeader = { format: ARCHIVE_FORMAT, seal };
  yield `${canonicalJson(header)}\n`;
  for await (const page of entryPages(db, { after: seal.first_seq - 1, through: seal.last_seq })) {
    yield page.map((entry) => `${canonicalJson(entry)}\n`).join('');
  }
}

/** Writes the segment's archive into `dir` (temp file, fsync, rename); returns its path and SHA-256. */
export async function writeArchive(db: LedgerDb, seal: Seal, dir: string): Promise<{ file: string; sha256: string }> {
  const file = join(dir, archiveFileName(seal.segment));
  const tmp = `${file}.${process.pid}.${Date.now()}.tmp`;
  await pipeline(Readable.from(archiveLines(db, seal)), createGzip(), createWriteStream(tmp));
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex');
  return { file, sha256 };
}
