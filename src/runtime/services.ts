/**
 * What the runtime hands to its actors and to the HTTP layer: the ports, chosen once at
 * start-up and injected, so no actor picks its own store, clock or file system.
 */
import type { TetherConfig } from '../config.ts';
import type { CodeAccess } from '../code-access/code-access.ts';
import type { Clock } from '../ports/clock.ts';
import type { Store } from '../store/open-store.ts';

export interface TetherServices {
  config: TetherConfig;
  store: Store;
  clock: Clock;
  /** A name for this process, used as lease owner. */
  processId: string;
  /** Proposals, decisions, reads and diffs of code changes. */
  codeAccess: CodeAccess;
}
