/**
 * Every migration, in order. Listed statically (no directory scan) so the same code runs
 * on Node and Deno and in a bundle.
 */
import type { Migration } from 'kysely/migration';
import * as core from './0001-core.ts';
import * as ledger from './0002-ledger.ts';
import * as ledgerSeals from './0003-ledger-seals.ts';
import * as ledgerQueue from './0004-ledger-queue.ts';
import * as ledgerJsonText from './0005-ledger-json-text.ts';

export const migrations: Record<string, Migration> = {
  '0001-core': core,
  '0002-ledger': ledger,
  '0003-ledger-seals': ledgerSeals,
  '0004-ledger-queue': ledgerQueue,
  '0005-ledger-json-text': ledgerJsonText,
};
