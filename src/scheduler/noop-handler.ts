/**
 * The built-in `NOOP` task type: does nothing and succeeds. It measures the queue itself
 * (bench/cluster.bench.ts) and checks that a process leases and completes tasks
 * (test/cluster.test.ts), with no handler of the caller's own. Harmless to anyone who can
 * enqueue tasks: it reads and writes nothing but its own task row.
 */
import type { TaskHandler } from './task-handler.ts';

export const NOOP_TASK = 'NOOP';

export const noopHandler: TaskHandler = async () => null;
