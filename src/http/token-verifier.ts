/**
 * Bearer tokens checked in constant time: the presented token and every configured secret
 * are compared as SHA-256 digests (equal lengths, so timingSafeEqual applies), and every
 * token is compared, so neither timing nor early exit tells which secret came close.
 * Secrets are kept only as digests here and never logged.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { TokenConfig } from '../config.ts';
import type { Principal } from './principal.ts';

interface StoredToken {
  principal: Principal;
  digest: Buffer;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

export class TokenVerifier {
  readonly #tokens: StoredToken[];

  constructor(tokens: readonly TokenConfig[]) {
    this.#tokens = tokens.map((t) => ({ principal: { name: t.name, role: t.role }, digest: digest(t.secret) }));
  }

  /** Whether any token is configured; without one, writes are off. */
  get configured(): boolean {
    return this.#tokens.length > 0;
  }

  verify(presented: string): Principal | undefined {
    const candidate = digest(presented);
    let found: Principal | undefined;
    for (const token of this.#tokens) {
      if (timingSafeEqual(candidate, token.digest) && !found) found = token.principal;
    }
    return found;
  }
}
