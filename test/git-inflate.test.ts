/**
 * The small-stream inflate (src/git/inflate.ts, written from RFC 1950/1951 for speed on
 * the many tiny objects of a checkout) against node:zlib: every round trip must match, and
 * a corrupted stream must never come back as data.
 */
import { deflateSync, constants } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inflateKnownSize } from '../src/git/inflate.ts';

const STRATEGIES = [constants.Z_DEFAULT_STRATEGY, constants.Z_FILTERED, constants.Z_HUFFMAN_ONLY, constants.Z_RLE, constants.Z_FIXED];

function inflateOrError(stream: Uint8Array, size: number): Uint8Array | 'error' {
  try {
    return inflateKnownSize(stream, size);
  } catch {
    return 'error';
  }
}

describe('inflateKnownSize', () => {
  it('inflates what node:zlib deflates, at every level and strategy', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ maxLength: 3000 }), fc.string({ maxLength: 3000 }).map((s) => new TextEncoder().encode(s.repeat(3)))),
        fc.integer({ min: 0, max: 9 }),
        fc.constantFrom(...STRATEGIES),
        (data, level, strategy) => {
          const stream = deflateSync(data, { level, strategy });
          expect(Buffer.from(inflateKnownSize(stream, data.byteLength))).toEqual(Buffer.from(data));
        },
      ),
      { numRuns: 400, seed: 20261125 },
    );
  });

  it('never returns data for a corrupted stream or a wrong size', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 2000 }), fc.nat(), fc.integer({ min: 1, max: 255 }), (data, at, flip) => {
        const stream = Uint8Array.from(deflateSync(data));
        const corrupted = Uint8Array.from(stream);
        corrupted[at % stream.length]! ^= flip;
        const result = inflateOrError(corrupted, data.byteLength);
        // Either refused, or (a flip zlib's own format cannot see, e.g. in an unused bit) exactly the data.
        if (result !== 'error') expect(Buffer.from(result)).toEqual(Buffer.from(data));
        expect(inflateOrError(stream, data.byteLength + 1)).toBe('error');
      }),
      { numRuns: 400, seed: 20261125 },
    );
  });
});
