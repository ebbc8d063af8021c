/**
 * A detector's watermark: the id of the last task execution it has read. Stored, so a
 * restarted detector resumes where it stopped instead of rereading the whole history.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../store/schema.ts';

type Db = Kysely<Database> | Transaction<Database>;

/** The detector's watermark, 0 when it has never scanned. */
export async function readWatermark(db: Db, detector: string): Promise<number> {
  const row = await db.selectFrom('detector_watermarks').select('watermark').where('detector', '=', detector).executeTakeFirst();
  return row ? Number(row.watermark) : 0;
}

/**
 * Moves the watermark forward, never back: two scans racing (two processes on one
 * PostgreSQL) cannot make a later one reread what an earlier one already passed.
 */
export async function advanceWatermark(db: Db, detector: string, watermark: number): Promise<void> {
  await sql`
    insert into detector_watermarks (detector, watermark, updated_at)
    values (${detector}, ${watermark}, now())
    on conflict (detector) do update
       set watermark = greatest(detector_watermarks.watermark, excluded.watermark),
           updated_at = now()`.execute(db);
}
