/**
 * Git object ids computed with the web-standard SubtleCrypto (Node, Deno and browsers),
 * without writing anything.
 */

const encoder = new TextEncoder();

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex of bytes. */
export function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (let i = 0; i < bytes.length; i++) hex += HEX[bytes[i]!];
  return hex;
}

/** SHA-1 of raw bytes, as hex. */
export async function sha1Hex(data: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-1', data as Uint8Array<ArrayBuffer>)));
}

/** The id git gives `content` as a blob (`git hash-object`). */
export async function hashBlob(content: Uint8Array): Promise<string> {
  const header = encoder.encode(`blob ${content.byteLength}\0`);
  const object = new Uint8Array(header.byteLength + content.byteLength);
  object.set(header);
  object.set(content, header.byteLength);
  return sha1Hex(object);
}
