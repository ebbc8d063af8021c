/** Every command, by name. Each lives in its own file. */
import type { Command } from './main.ts';
import { serveCommand } from './serve.ts';
import { migrateCommand } from './migrate.ts';
import { statusCommand } from './status.ts';
import { demoCommand } from './demo.ts';

export const commands: Record<string, Command> = {
  serve: serveCommand,
  migrate: migrateCommand,
  status: statusCommand,
  demo: demoCommand,
};
