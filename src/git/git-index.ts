/**
 * Reading and writing git's index file (`.git/index`, the "dircache"): versions 2, 3 and 4
 * are read; 2 or 3 is written. isomorphic-git's own index code reads version 2 only and
 * exposes no stat data, and the would-overwrite check needs both.
 *
 * Format: https://git-scm.com/docs/index-format
 */
import { TetherError } from '../errors.ts';
import { sha1Hex, toHex } from './hash-object.ts';

/** One index entry, with the stat data git uses to skip hashing unchanged files. */
export interface IndexEntry {
  ctimeSeconds: number;
  ctimeNanoseconds: number;
  mtimeSeconds: number;
  mtimeNanoseconds: number;
  dev: number;
  ino: number;
  /** 0o100644, 0o100755, 0o120000 or 0o160000. */
  mode: number;
  uid: number;
  gid: number;
  size: number;
  oid: string;
  /** 0 for a merged entry, 1–3 for the sides of an unmerged one. */
  stage: number;
  /** The assume-valid bit. */
  assumeValid: boolean;
  /** Version-3 extended flags (skip-worktree, intent-to-add), 0 when absent. */
  extendedFlags: number;
  path: string;
}

/** A parsed index. */
export interface GitIndex {
  version: number;
  entries: IndexEntry[];
  /** Extensions whose signatures start with a capital letter: optional, safe to drop. */
  optionalExtensions: string[];
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

function invalid(message: string): TetherError {
  return new TetherError('INTERNAL', `unreadable git index: ${message}`, { op: 'parseIndex' });
}

function decodePath(bytes: Uint8Array, start: number, end: number): string {
  // Most paths are ASCII: building the string directly skips TextDecoder's per-call cost.
  let ascii = true;
  for (let i = start; i < end; i++) if (bytes[i]! >= 0x80) { ascii = false; break; }
  return ascii ? String.fromCharCode(...bytes.subarray(start, end)) : decoder.decode(bytes.subarray(start, end));
}

/** Options of {@link parseIndex}. */
export interface ParseIndexOptions {
  /**
   * Decode only entries with these paths. Other entries are skipped by their length field,
   * without building strings or objects: checking a few paths in a 50,000-entry index
   * then costs a scan of bytes, not 50,000 allocations.
   */
  only?: ReadonlySet<string>;
}

function sameBytes(bytes: Uint8Array, start: number, wanted: Uint8Array): boolean {
  for (let i = 0; i < wanted.byteLength; i++) if (bytes[start + i] !== wanted[i]) return false;
  return true;
}

/** Parses an index file. An empty or missing index is the caller's business. */
export function parseIndex(bytes: Uint8Array, options: ParseIndexOptions = {}): GitIndex {
  const byLength = new Map<number, Uint8Array[]>();
  if (options.only) {
    for (const path of options.only) {
      const encoded = encoder.encode(path);
      const list = byLength.get(encoded.byteLength);
      if (list) list.push(encoded);
      else byLength.set(encoded.byteLength, [encoded]);
    }
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 32 || decodePath(bytes, 0, 4) !== 'DIRC') throw invalid('bad signature');
  const version = view.getUint32(4);
  if (version < 2 || version > 4) throw invalid(`unsupported version ${version}`);
  const count = view.getUint32(8);
  const end = bytes.byteLength - 20;
  const entries: IndexEntry[] = [];
  let at = 12;
  let previous = '';
  for (let n = 0; n < count; n++) {
    if (at + 62 > end) throw invalid('truncated entry');
    const flags = view.getUint16(at + 60);
    const extended = (flags & 0x4000) !== 0;
    const extendedFlags = extended ? view.getUint16(at + 62) : 0;
    let pathStart = at + 62 + (extended ? 2 : 0);
    let path: string;
    let next: number;
    if (version === 4) {
      // Prefix compression: a varint of bytes to drop from the previous path, then the rest.
      let byte = bytes[pathStart++]!;
      let strip = byte & 127;
      while (byte & 128) {
        byte = bytes[pathStart++]!;
        strip = ((strip + 1) << 7) | (byte & 127);
      }
      const nul = bytes.indexOf(0, pathStart);
      if (nul < 0 || nul > end) throw invalid('unterminated path');
      const kept = encoder.encode(previous);
      path = decoder.decode(kept.subarray(0, kept.byteLength - strip)) + decodePath(bytes, pathStart, nul);
      next = nul + 1;
    } else {
      const length = flags & 0xfff;
      const nul = length < 0xfff ? pathStart + length : bytes.indexOf(0, pathStart);
      if (nul < 0 || nul > end || bytes[nul] !== 0) throw invalid('unterminated path');
      // Entries are NUL-padded to a multiple of 8 bytes, with at least one NUL.
      next = at + ((nul - at + 8) & ~7);
      if (options.only && !byLength.get(nul - pathStart)?.some((w) => sameBytes(bytes, pathStart, w))) {
        at = next;
        continue;
      }
      path = decodePath(bytes, pathStart, nul);
    }
    if (options.only && !options.only.has(path)) {
      previous = path;
      at = next;
      continue;
    }
    entries.push({
      ctimeSeconds: view.getUint32(at),
      ctimeNanoseconds: view.getUint32(at + 4),
      mtimeSeconds: view.getUint32(at + 8),
      mtimeNanoseconds: view.getUint32(at + 12),
      dev: view.getUint32(at + 16),
      ino: view.getUint32(at + 20),
      mode: view.getUint32(at + 24),
      uid: view.getUint32(at + 28),
      gid: view.getUint32(at + 32),
      size: view.getUint32(at + 36),
      oid: toHex(bytes.subarray(at + 40, at + 60)),
      stage: (flags >> 12) & 3,
      assumeValid: (flags & 0x8000) !== 0,
      extendedFlags,
      path,
    });
    previous = path;
    at = next;
  }
  const optionalExtensions: string[] = [];
  while (at + 8 <= end) {
    const signature = decodePath(bytes, at, at + 4);
    const size = view.getUint32(at + 4);
    // Lower-case signatures (`link` for split index, `sdir` for sparse index) change what the
    // entries mean; rewriting the index without understanding them would lose files.
    if (!/^[A-Z]/.test(signature)) {
      throw new TetherError('INTERNAL', `git index uses the ${signature} extension, which Tether does not support`, {
        op: 'parseIndex',
        extension: signature,
      });
    }
    optionalExtensions.push(signature);
    at += 8 + size;
  }
  return { version, entries, optionalExtensions };
}

/** Byte-wise path order, as git sorts the index (then by stage). */
export function compareIndexEntries(a: IndexEntry, b: IndexEntry): number {
  if (a.path !== b.path) {
    const x = encoder.encode(a.path);
    const y = encoder.encode(b.path);
    const length = Math.min(x.byteLength, y.byteLength);
    for (let i = 0; i < length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
    return x.byteLength - y.byteLength;
  }
  return a.stage - b.stage;
}

/**
 * Serializes entries (already sorted) as version 2, or 3 when an entry has extended flags.
 * Optional extensions are dropped: the cache tree and untracked cache they hold would be
 * stale, and git rebuilds them.
 */
export async function serializeIndex(entries: readonly IndexEntry[]): Promise<Uint8Array> {
  const version = entries.some((e) => e.extendedFlags !== 0) ? 3 : 2;
  const paths = entries.map((e) => encoder.encode(e.path));
  let size = 12 + 20;
  entries.forEach((e, i) => {
    size += (62 + (e.extendedFlags ? 2 : 0) + paths[i]!.byteLength + 8) & ~7;
  });
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  bytes.set(encoder.encode('DIRC'));
  view.setUint32(4, version);
  view.setUint32(8, entries.length);
  let at = 12;
  entries.forEach((e, i) => {
    const path = paths[i]!;
    const fields = [e.ctimeSeconds, e.ctimeNanoseconds, e.mtimeSeconds, e.mtimeNanoseconds, e.dev, e.ino, e.mode, e.uid, e.gid, e.size];
    fields.forEach((value, k) => view.setUint32(at + k * 4, value >>> 0));
    for (let k = 0; k < 20; k++) bytes[at + 40 + k] = parseInt(e.oid.slice(k * 2, k * 2 + 2), 16);
    const flags = (e.assumeValid ? 0x8000 : 0) | (e.extendedFlags ? 0x4000 : 0) | ((e.stage & 3) << 12) | Math.min(path.byteLength, 0xfff);
    view.setUint16(at + 60, flags);
    if (e.extendedFlags) view.setUint16(at + 62, e.extendedFlags);
    const pathStart = at + 62 + (e.extendedFlags ? 2 : 0);
    bytes.set(path, pathStart);
    at = at + ((pathStart + path.byteLength - at + 8) & ~7);
  });
  bytes.set(hexToBytes(await sha1Hex(bytes.subarray(0, at))), at);
  return bytes;
}

function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
