/**
 * The `tether` command line. Runtime-specific pieces (how to listen on a port, how to
 * exit) are injected by the entry file, so the same commands run on Node and Deno.
 */
import { parseArgs } from 'node:util';
import type { Hono } from 'hono';
import { isTetherError } from '../errors.ts';
import { configureLogging } from '../log.ts';
import { commands } from './commands.ts';

export interface Listener {
  /** Starts serving; resolves with the bound port and a close function. */
  listen(app: Hono, host: string, port: number): Promise<{ port: number; close(): Promise<void> }>;
}

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  env: Record<string, string | undefined>;
  listener: Listener;
  /** Resolves when the process is asked to stop (SIGINT, SIGTERM). */
  stopSignal(): Promise<string>;
}

export interface Command {
  summary: string;
  usage: string;
  options: Record<string, { type: 'string' | 'boolean'; short?: string }>;
  run(args: { flags: Record<string, unknown>; positionals: string[]; io: CliIo }): Promise<number>;
}

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(16)} ${c.summary}`);
  return ['Usage: tether <command> [options]', '', 'Commands:', ...lines, '', 'Run `tether <command> --help` for its options.'].join('\n');
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  let [name, ...rest] = argv;
  // Two-word commands: `ledger verify`.
  if (name && rest[0] && commands[`${name} ${rest[0]}`]) {
    name = `${name} ${rest[0]}`;
    rest = rest.slice(1);
  }
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    io.err(`tether: unknown command "${name}".\n\n${usage()}`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: { ...command.options, help: { type: 'boolean', short: 'h' }, config: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    io.err(`tether ${name}: ${(error as Error).message}\n\n${command.usage}`);
    return 2;
  }
  if (parsed.values.help) {
    io.out(command.usage);
    return 0;
  }
  try {
    await configureLogging((io.env.TETHER_LOG_LEVEL as 'info') ?? 'info');
    return await command.run({ flags: parsed.values, positionals: parsed.positionals, io });
  } catch (error) {
    if (isTetherError(error)) {
      io.err(`tether ${name}: ${error.code}: ${error.message}`);
      return 1;
    }
    io.err(`tether ${name}: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}
