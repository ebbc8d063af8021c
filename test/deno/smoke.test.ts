// Deno smoke test: the public entry builds a runtime on in-memory PGlite under Deno 2,
// does a store round trip, and answers an HTTP request through the app.
import { createTether } from '../../src/index.ts';
import { assertEquals } from './assert.ts';

declare const Deno: any;

Deno.test({
  name: 'a runtime on in-memory PGlite round-trips a row and answers /health',
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const tether = await createTether({ settings: { 'database-url': 'memory://' } });
    try {
      const db = tether.services.store.db;
      await db.insertInto('detector_watermarks').values({ detector: 'deno-smoke', watermark: 42 }).execute();
      const row = await db.selectFrom('detector_watermarks').selectAll().where('detector', '=', 'deno-smoke').executeTakeFirst();
      assertEquals(Number(row?.watermark), 42, 'stored watermark');
      const res = await tether.app.request('/health');
      assertEquals(res.status, 200, 'health status');
      const body = await res.json();
      assertEquals(body.status, 'ok', 'health body');
    } finally {
      await tether.stop();
    }
  },
});
