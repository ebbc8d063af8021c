/**
 * A checkpoint is the head (seq and hash) written somewhere the database's writers cannot
 * reach. Later, `verifyLedger({ checkpoint })` proves the ledger was neither cut back below
 * it (TRUNCATED) nor rewritten up to it (the entry at its seq has another hash).
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { readHeadRow } from './chain-head.ts';
import type { LedgerDb } from './ledger-tables.ts';
import { syncLedgerHead } from './ledger-writer.ts';

export interface Checkpoint {
  seq: number;
  hash: string;
  /** When it was taken (ISO). */
  at: string;
}

/** Reads the head as a checkpoint and, given a file, writes it there (atomically). */
export async function exportCheckpoint(db: LedgerDb, file?: string): Promise<Checkpoint> {
  await syncLedgerHead(db);
  const head = await readHeadRow(db);
  const checkpoint: Checkpoint = { seq: head.seq, hash: head.hash, at: new Date().toISOString() };
  if (file) {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(checkpoint, null, 2)}\n`);
    renameSync(tmp, file);
  }
  return checkpoint;
}

/** Reads a checkpoint file; throws a TypeError naming the file when it is not one. */
export function readCheckpoint(file: string): Checkpoint {
  const value = JSON.parse(readFileSync(file, 'utf8')) as Partial<Checkpoint>;
  if (!Number.isSafeInteger(value.seq) || (value.seq as number) < 0 || typeof value.hash !== 'string' || !/^[0-9a-f]{64}$/.test(value.hash)) {
    throw new TypeError(`${file} is not a ledger checkpoint: it needs an integer "seq" and a 64-hex "hash".`);
  }
  return { seq: value.seq as number, hash: value.hash, at: typeof value.at === 'string' ? value.at : '' };
}
