/**
 * A one-shot zlib inflate (RFC 1950 and 1951) in JavaScript, for objects whose inflated size
 * is known (the pack records it). node:zlib's inflateSync builds a stream object and a native
 * handle per call: for the small objects most of a source tree is made of, that costs more
 * than inflating them here, and makes most of a checkout's garbage. Large objects are faster
 * in native code: the caller picks by size.
 */

/**
 * Whether {@link inflateKnownSize} is the faster choice for this stream: zlib codes small
 * inputs with fixed Huffman codes (or stores them), and those this module inflates in half
 * the time of a node:zlib call; streams with their own codes (dynamic blocks, nearly every
 * input over 100 bytes) are two to four times faster in native code.
 */
export function fasterInJs(data: Uint8Array, size: number): boolean {
  return size <= 4096 && ((data[2]! >> 1) & 3) !== 2;
}

/** Length and distance bases and extra bits, from RFC 1951 section 3.2.5. */
const LENGTH_BASE = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258];
const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
const DIST_BASE = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577];
const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
/** The order code length code lengths are sent in (section 3.2.7). */
const CLEN_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];

/** A decoding table: indexed by the next `bits` input bits, entries are symbol << 4 | code length. */
interface Table {
  entries: Uint16Array;
  bits: number;
}

function corrupt(what: string): never {
  throw new Error(`corrupt deflate stream: ${what}`);
}

/** Builds the table of a canonical Huffman code from its code lengths (0: symbol unused). */
function buildTable(lengths: ArrayLike<number>, count: number): Table {
  let bits = 0;
  const perLength = new Uint16Array(16);
  for (let s = 0; s < count; s++) {
    perLength[lengths[s]!]!++;
    if (lengths[s]! > bits) bits = lengths[s]!;
  }
  const entries = new Uint16Array(1 << Math.max(bits, 1));
  perLength[0] = 0;
  const next = new Uint16Array(16);
  for (let len = 1, code = 0; len <= 15; len++) {
    code = (code + perLength[len - 1]!) << 1;
    next[len] = code;
  }
  // Codes are read bit by bit from the most significant, but input bits arrive least
  // significant first: the table is indexed by the code reversed.
  for (let s = 0; s < count; s++) {
    const len = lengths[s]!;
    if (len === 0) continue;
    const code = next[len]!++;
    if (code >= 1 << len) corrupt('over-subscribed code');
    let reversed = 0;
    for (let i = 0; i < len; i++) reversed |= ((code >> i) & 1) << (len - 1 - i);
    for (let i = reversed; i < entries.length; i += 1 << len) entries[i] = (s << 4) | len;
  }
  return { entries, bits };
}

let fixed: [Table, Table] | undefined;
function fixedTables(): [Table, Table] {
  if (!fixed) {
    const lit = new Uint8Array(288);
    lit.fill(8, 0, 144).fill(9, 144, 256).fill(7, 256, 280).fill(8, 280, 288);
    fixed = [buildTable(lit, 288), buildTable(new Uint8Array(30).fill(5), 30)];
  }
  return fixed;
}

/** Inflates the zlib stream at the start of `data` into exactly `size` bytes; bytes after the stream are ignored. */
export function inflateKnownSize(data: Uint8Array, size: number): Uint8Array {
  if ((data[0]! & 0x0f) !== 8 || ((data[0]! << 8) | data[1]!) % 31 !== 0 || data[1]! & 0x20) corrupt('bad zlib header');
  const out = new Uint8Array(size);
  let written = 0;
  let at = 2;
  let buffer = 0;
  let held = 0;
  // Reads n (≤ 16) bits; past the end of the input it reads zeros, which the size and
  // checksum checks then catch.
  const take = (n: number): number => {
    while (held < n) {
      buffer |= (data[at++] ?? 0) << held;
      held += 8;
    }
    const value = buffer & ((1 << n) - 1);
    buffer >>>= n;
    held -= n;
    return value;
  };
  const decode = (table: Table): number => {
    while (held < table.bits) {
      buffer |= (data[at++] ?? 0) << held;
      held += 8;
    }
    const entry = table.entries[buffer & ((1 << table.bits) - 1)]!;
    const len = entry & 15;
    if (len === 0) corrupt('invalid code');
    buffer >>>= len;
    held -= len;
    return entry >> 4;
  };
  let final = 0;
  while (!final) {
    final = take(1);
    const type = take(2);
    if (type === 0) {
      // Stored: whole bytes from the next byte boundary; unread bits were read ahead.
      at -= held >> 3;
      buffer = 0;
      held = 0;
      const length = data[at]! | (data[at + 1]! << 8);
      if ((length ^ (data[at + 2]! | (data[at + 3]! << 8))) !== 0xffff) corrupt('stored length');
      if (written + length > size) corrupt('too long');
      out.set(data.subarray(at + 4, at + 4 + length), written);
      written += length;
      at += 4 + length;
      continue;
    }
    let lit: Table;
    let dist: Table;
    if (type === 1) [lit, dist] = fixedTables();
    else if (type === 2) {
      const nlit = take(5) + 257;
      const ndist = take(5) + 1;
      const nclen = take(4) + 4;
      const clens = new Uint8Array(19);
      for (let i = 0; i < nclen; i++) clens[CLEN_ORDER[i]!] = take(3);
      const clen = buildTable(clens, 19);
      const lengths = new Uint8Array(nlit + ndist);
      for (let i = 0; i < nlit + ndist; ) {
        const symbol = decode(clen);
        if (symbol < 16) lengths[i++] = symbol;
        else {
          const [value, repeat] = symbol === 16 ? [i > 0 ? lengths[i - 1]! : corrupt('repeat first'), 3 + take(2)] : [0, symbol === 17 ? 3 + take(3) : 11 + take(7)];
          if (i + repeat > lengths.length) corrupt('too many lengths');
          lengths.fill(value, i, i + repeat);
          i += repeat;
        }
      }
      lit = buildTable(lengths.subarray(0, nlit), nlit);
      dist = buildTable(lengths.subarray(nlit), ndist);
    } else corrupt('block type 3');
    for (;;) {
      const symbol = decode(lit);
      if (symbol < 256) {
        if (written >= size) corrupt('too long');
        out[written++] = symbol;
      } else if (symbol === 256) break;
      else {
        const li = symbol - 257;
        if (li >= 29) corrupt('length code');
        const length = LENGTH_BASE[li]! + take(LENGTH_EXTRA[li]!);
        const di = decode(dist);
        if (di >= 30) corrupt('distance code');
        const distance = DIST_BASE[di]! + take(DIST_EXTRA[di]!);
        if (distance > written) corrupt('distance too far');
        if (written + length > size) corrupt('too long');
        for (let i = 0; i < length; i++, written++) out[written] = out[written - distance]!;
      }
    }
  }
  if (written !== size) corrupt('too short');
  // The Adler-32 of the output, big-endian, at the next byte boundary.
  at -= held >> 3;
  let a = 1;
  let b = 0;
  for (let i = 0; i < size; ) {
    // Reduced every 1024 bytes, the sums stay small integers (fast in JavaScript engines).
    for (const end = Math.min(size, i + 1024); i < end; i++) b += a += out[i]!;
    a %= 65521;
    b %= 65521;
  }
  const expected = ((data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!) >>> 0;
  if (((b << 16) | a) >>> 0 !== expected) corrupt('checksum');
  return out;
}
