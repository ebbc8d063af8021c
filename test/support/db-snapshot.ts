/**
 * A comparable picture of a database: every table's columns, every index, and every row.
 * Two snapshots are equal when schema and data are identical.
 */
import { sql, type Kysely } from 'kysely';

export async function dbSnapshot(db: Kysely<any>): Promise<string> {
  const tables = await sql<{ table_name: string }>`select table_name from information_schema.tables where table_schema = 'public' order by table_name`.execute(db);
  const columns = await sql`select table_name, column_name, data_type, is_nullable, column_default from information_schema.columns where table_schema = 'public' order by table_name, ordinal_position`.execute(db);
  const indexes = await sql`select tablename, indexname, indexdef from pg_indexes where schemaname = 'public' order by tablename, indexname`.execute(db);
  const data: Record<string, unknown> = {};
  for (const { table_name } of tables.rows) {
    const rows = await sql`select coalesce(json_agg(t order by t::text), '[]'::json) as rows from ${sql.table(table_name)} t`.execute(db);
    data[table_name] = (rows.rows[0] as { rows: unknown }).rows;
  }
  return JSON.stringify({ tables: tables.rows, columns: columns.rows, indexes: indexes.rows, data });
}
