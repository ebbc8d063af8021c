/**
 * One-shot SHA-256 for the ledger's many small inputs. node:crypto's `hash` (Node 20.12+,
 * Deno 2) skips building a Hash object per call and is about twice as fast as createHash
 * for an entry's few hundred bytes or a 33/65-byte Merkle node; older Node 20 falls back.
 */
import * as nodeCrypto from 'node:crypto';

type OneShot = (algorithm: string, data: string | Buffer, outputEncoding: 'hex' | 'latin1') => string;
const oneShot = (nodeCrypto as unknown as { hash?: OneShot }).hash;

/** SHA-256 of a string (UTF-8) as 64 hex characters. */
export const sha256Hex: (data: string) => string = oneShot
  ? (data) => oneShot('sha256', data, 'hex')
  : (data) => nodeCrypto.createHash('sha256').update(data).digest('hex');

/**
 * SHA-256 of bytes as a 32-character latin1 string (one char per byte): for digests that
 * are only fed back into hashes, a short string is much cheaper to allocate than a Buffer.
 */
export const sha256Latin1: (data: Buffer) => string = oneShot
  ? (data) => oneShot('sha256', data, 'latin1')
  : (data) => nodeCrypto.createHash('sha256').update(data).digest().toString('latin1');
