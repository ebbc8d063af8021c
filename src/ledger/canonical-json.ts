/**
 * Canonical JSON: object keys sorted by code unit, no whitespace, so the same value always
 * serializes to the same bytes whatever order its keys were written in. Undefined members
 * are dropped (as JSON.stringify does); non-finite numbers are refused, since they have no
 * JSON form and would hash ambiguously. Written as one appending walk (no intermediate
 * arrays) because verification runs it on every entry; the common types are tested first,
 * and quoted keys are cached since a ledger repeats a few key names endlessly.
 */
const quotedKeys = new Map<string, string>();
// Bounded: arbitrary keys (ids used as keys) must not grow the cache without end.
const QUOTED_KEYS_MAX = 4096;

function quotedKey(key: string): string {
  let quoted = quotedKeys.get(key);
  if (quoted === undefined) {
    quoted = `${JSON.stringify(key)}:`;
    if (quotedKeys.size < QUOTED_KEYS_MAX) quotedKeys.set(key, quoted);
  }
  return quoted;
}

export function canonicalJson(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} has no JSON form`);
    // A finite number's JSON form is its ToString form (-0 included: both give "0").
    return `${value}`;
  }
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return JSON.stringify(value.toString());
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      const v = value[i];
      out += v === undefined ? 'null' : canonicalJson(v);
    }
    return `${out}]`;
  }
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length > 1) keys.sort();
    let out = '{';
    let first = true;
    for (const k of keys) {
      const v = obj[k];
      if (v === undefined) continue;
      if (!first) out += ',';
      first = false;
      out += quotedKey(k) + canonicalJson(v);
    }
    return `${out}}`;
  }
  throw new TypeError(`canonicalJson: cannot serialize a ${typeof value}`);
}
