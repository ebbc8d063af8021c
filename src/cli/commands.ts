/** Every command, by name. Each lives in its own file. */
import type { Command } from './main.ts';
import { serveCommand } from './serve.ts';
import { migrateCommand } from './migrate.ts';
import { statusCommand } from './status.ts';
import { approveCommand } from './approve.ts';
import { rejectCommand } from './reject.ts';
import { demoCommand } from './demo.ts';
import { ledgerCheckpointCommand, ledgerVerifyCommand } from './ledger-verify.ts';
import { detectCommand } from './detect.ts';

export const commands: Record<string, Command> = {
  serve: serveCommand,
  migrate: migrateCommand,
  status: statusCommand,
  approve: approveCommand,
  reject: rejectCommand,
  demo: demoCommand,
  detect: detectCommand,
  'ledger verify': ledgerVerifyCommand,
  'ledger checkpoint': ledgerCheckpointCommand,
};
