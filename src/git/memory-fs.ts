/**
 * The in-memory adapter: LightningFS over its MemoryBackend, for embedded use and tests.
 *
 * LightningFS's default backend takes a cross-tab lock before every activation: through
 * `navigator.locks` when present (on Deno that path leaves a 10-minute timer behind and the
 * process hangs) and through IndexedDB otherwise (absent on Node and Deno). An in-memory
 * file system belongs to one process, so this adapter replaces that lock with a no-op and
 * never looks at `navigator.locks`.
 */
import LightningFS from '@isomorphic-git/lightning-fs';
// @ts-expect-error: internal modules of LightningFS, untyped; pinned by package-lock.
import DefaultBackend from '@isomorphic-git/lightning-fs/src/DefaultBackend.js';
// @ts-expect-error: internal module of LightningFS, untyped.
import CacheFS from '@isomorphic-git/lightning-fs/src/CacheFS.js';
import type { GitFs, GitFsPromises } from './git-fs.ts';

// Node 20 has no `navigator`; some LightningFS code paths read `navigator.locks`.
// Defining an empty one keeps them on the lock-free path (never set `locks`).
(globalThis as { navigator?: object }).navigator ??= {};

/** A lock that is always held: one process owns an in-memory file system. */
const heldLock = {
  has: async () => true,
  wait: async () => true,
  acquire: async () => true,
  release: async () => undefined,
  renew: async () => true,
};

interface BackendFields {
  _name: string;
  _idb: unknown;
  _mutex: typeof heldLock;
  _cache: unknown;
  _opts: object;
  _needsWipe: boolean;
}

/** DefaultBackend with an in-memory store and no cross-process lock. */
class LocklessMemoryBackend extends (DefaultBackend as new () => object) {
  init(name: string, options: { uid?: number; gid?: number } = {}): void {
    const self = this as unknown as BackendFields;
    self._name = name;
    self._idb = new (LightningFS as unknown as { MemoryBackend: new () => unknown }).MemoryBackend();
    self._mutex = heldLock;
    self._cache = new CacheFS(name, { uid: options.uid ?? 1, gid: options.gid ?? 1 });
    self._opts = {};
    self._needsWipe = false;
  }
}

/** A fresh, empty in-memory file system for the git layer and isomorphic-git. */
export function createMemoryFs(name = 'tether'): GitFs {
  const lfs = new LightningFS(name, { backend: new LocklessMemoryBackend() } as LightningFS.Options);
  return { promises: lfs.promises as unknown as GitFsPromises, exclusiveCreate: false };
}
