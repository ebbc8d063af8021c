/**
 * Structured logging through LogTape, which runs unchanged on Node and Deno. Library code
 * only calls getLogger(); the CLI configures sinks once. Secrets are never passed in.
 */
import { configure, getConsoleSink, getLogger, type Logger } from '@logtape/logtape';

export type { Logger };

export function logger(...category: string[]): Logger {
  return getLogger(['tether', ...category]);
}

let configured = false;

/** Sends tether's records to stderr at the given level. Safe to call more than once. */
export async function configureLogging(level: 'debug' | 'info' | 'warning' | 'error'): Promise<void> {
  if (configured) return;
  configured = true;
  await configure({
    reset: true,
    sinks: { console: getConsoleSink() },
    loggers: [
      { category: ['tether'], lowestLevel: level, sinks: ['console'] },
      { category: ['logtape', 'meta'], lowestLevel: 'warning', sinks: ['console'] },
    ],
  });
}
