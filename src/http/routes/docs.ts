/**
 * The review page at `/`, the OpenAPI document, and `/api/me` (who the token is, so the
 * page knows whether to offer approve and reject).
 */
import { z } from 'zod';
import { openApiDocument } from '../openapi.ts';
import { pageCsp, reviewPage } from '../review/page.ts';
import { defineRoute, type AnyRoute } from '../route.ts';

function nonce(): string {
  return btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
}

/** `routes` is the full list, this one included, read when the document is first asked for. */
export function docRoutes(routes: () => readonly AnyRoute[]): AnyRoute[] {
  let document: Record<string, unknown> | undefined;
  return [
    defineRoute({
      method: 'GET',
      path: '/',
      summary: 'The review page: goals, modifications with diffs, approve and reject.',
      tag: 'review',
      access: 'public',
      html: true,
      handle(c) {
        const n = nonce();
        return c.html(reviewPage(n), 200, { 'Content-Security-Policy': pageCsp(n), 'Cache-Control': 'no-store' });
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/openapi.json',
      summary: 'This API described in OpenAPI 3.1.',
      tag: 'system',
      access: 'public',
      response: z.record(z.string(), z.unknown()),
      handle(c) {
        document ??= openApiDocument(routes(), { version: '0.1.0' });
        return c.json(document);
      },
    }),
    defineRoute({
      method: 'GET',
      path: '/api/me',
      summary: "The calling token's name and role.",
      tag: 'system',
      access: 'read',
      response: z.object({ name: z.string(), role: z.enum(['viewer', 'agent', 'approver', 'anonymous']) }),
      handle(c) {
        const principal = c.get('principal');
        // Without configured tokens reads are open: the caller is anonymous.
        return c.json(principal ?? { name: 'anonymous', role: 'anonymous' });
      },
    }),
  ];
}
