/**
 * Ledger subjects and payload as `json`, no longer `jsonb`. json keeps its text byte for
 * byte, so the writers store the canonical JSON they hashed, and verification hashes the
 * stored text as it is instead of parsing and re-serializing every entry (that was half of
 * verification's time); PGlite also prints a json column faster than a jsonb one. The
 * database still checks that each text is one JSON value, which verification relies on.
 *
 * Rows already written are rewritten in canonical form: the same values, so the same hashes
 * (verification also accepts text in another form with the same values). The queue's rows
 * too, since the integrator hashes their text as it is. tether_ledger_append takes json.
 */
import { sql, type Kysely } from 'kysely';
import { canonicalJson } from '../../ledger/canonical-json.ts';

const BATCH = 1000;

async function changeType(db: Kysely<unknown>, table: string, type: 'json' | 'jsonb'): Promise<void> {
  await sql`alter table ${sql.table(table)}
    alter column subjects type ${sql.raw(type)} using subjects::${sql.raw(type)},
    alter column payload type ${sql.raw(type)} using payload::${sql.raw(type)}`.execute(db);
}

/** Rewrites every row's subjects and payload as canonical JSON, a batch at a time by key. */
async function canonicalize(db: Kysely<unknown>, table: string, key: string): Promise<void> {
  let after = 0;
  for (;;) {
    const { rows } = await sql<{ k: string; s: string; p: string }>`
      select ${sql.ref(key)}::text as k, subjects::text as s, payload::text as p from ${sql.table(table)}
      where ${sql.ref(key)} > ${after} order by ${sql.ref(key)} limit ${BATCH}`.execute(db);
    if (rows.length === 0) return;
    const keys: string[] = [];
    const subjects: string[] = [];
    const payloads: string[] = [];
    for (const row of rows) {
      const s = canonicalJson(JSON.parse(row.s));
      const p = canonicalJson(JSON.parse(row.p));
      if (s === row.s && p === row.p) continue;
      keys.push(row.k);
      subjects.push(s);
      payloads.push(p);
    }
    if (keys.length > 0) {
      await sql`update ${sql.table(table)} t set subjects = v.s::json, payload = v.p::json
        from unnest(${keys}::bigint[], ${subjects}::text[], ${payloads}::text[]) as v(k, s, p)
        where t.${sql.ref(key)} = v.k`.execute(db);
    }
    after = Number(rows[rows.length - 1]!.k);
  }
}

// The body of 0003's function, restated: a migration is history and must not change when a
// later one does, so the two do not share code.
function appendFunction(type: 'json' | 'jsonb') {
  const t = sql.raw(type);
  return sql`
    create function tether_ledger_append(
      p_seq bigint, p_at timestamptz, p_actor text, p_type text, p_subject text,
      p_subjects ${t}, p_payload ${t}, p_prev_hash text, p_hash text, p_bytes bigint
    ) returns boolean language plpgsql as $fn$
    begin
      update ledger_head set seq = p_seq, hash = p_hash, segment_bytes = segment_bytes + p_bytes
        where id = 1 and seq = p_seq - 1 and hash = p_prev_hash;
      if not found then
        return false;
      end if;
      insert into ledger_entries (seq, at, actor, type, subject, subjects, payload, prev_hash, hash)
        values (p_seq, p_at, p_actor, p_type, p_subject, p_subjects, p_payload, p_prev_hash, p_hash);
      return true;
    end
    $fn$`;
}

const SIGNATURE = (type: string) => sql.raw(`tether_ledger_append(bigint, timestamptz, text, text, text, ${type}, ${type}, text, text, bigint)`);

export async function up(db: Kysely<unknown>): Promise<void> {
  await changeType(db, 'ledger_entries', 'json');
  await changeType(db, 'ledger_queue', 'json');
  await canonicalize(db, 'ledger_entries', 'seq');
  await canonicalize(db, 'ledger_queue', 'id');
  await sql`drop function if exists ${SIGNATURE('jsonb')}`.execute(db);
  await appendFunction('json').execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists ${SIGNATURE('json')}`.execute(db);
  await appendFunction('jsonb').execute(db);
  await changeType(db, 'ledger_queue', 'jsonb');
  await changeType(db, 'ledger_entries', 'jsonb');
}
