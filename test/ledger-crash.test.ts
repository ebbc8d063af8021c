import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { readSeals } from '../src/ledger/read-seals.ts';
import { verifyLedger } from '../src/ledger/verify-ledger.ts';
import { openStore, type StoreOptions } from '../src/store/open-store.ts';
import { createPostgresDatabase, postgresUrl } from './support/stores.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));

// The child appends and seals in a loop and says when each seal starts, so the parent can
// kill it while a seal's transaction is open.
const CHILD = `
import { openStore } from ${JSON.stringify(join(repo, 'src/store/open-store.ts'))};
import { appendEntry } from ${JSON.stringify(join(repo, 'src/ledger/append-entry.ts'))};
import { sealSegment } from ${JSON.stringify(join(repo, 'src/ledger/seal-segment.ts'))};
const store = await openStore(JSON.parse(process.argv[2]));
for (let round = 0; ; round++) {
  for (let i = 0; i < 15; i++) await appendEntry(store.db, { actor: 'child', type: 'crash.append', payload: { round, i } });
  process.stdout.write('sealing\\n');
  const outcome = await sealSegment(store.db, { force: true });
  process.stdout.write(outcome.sealed ? 'sealed\\n' : 'not sealed\\n');
}
`;

/** Runs the child until it has started `seals` seals, then SIGKILLs it a moment later. */
function runAndKill(options: StoreOptions, seals: number, dir: string): Promise<void> {
  const script = join(dir, 'child.mts');
  writeFileSync(script, CHILD);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(options)], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let started = 0;
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d: Buffer) => {
      started += d.toString().split('\n').filter((l) => l === 'sealing').length;
      if (started >= seals && !child.killed) {
        // Land somewhere inside the seal's transaction (or just after it): both must be safe.
        setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 15));
      }
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve();
      else reject(new Error(`child exited with ${code}: ${stderr}`));
    });
  });
}

async function expectIntact(options: StoreOptions): Promise<void> {
  const store = await openStore(options);
  try {
    const result = await verifyLedger(store.db);
    expect(result).toMatchObject({ ok: true });
    const counts = await sql<{ n: string; seqs: string; prevs: string; max: string }>`
      select count(*) as n, count(distinct seq) as seqs, count(distinct prev_hash) as prevs, max(seq) as max from ledger_entries`.execute(store.db);
    const row = counts.rows[0]!;
    expect(Number(row.seqs)).toBe(Number(row.n));
    expect(Number(row.prevs)).toBe(Number(row.n));
    expect(Number(row.max)).toBe(Number(row.n));
    const seals = await readSeals(store.db);
    expect(seals.length).toBeGreaterThanOrEqual(2);
    seals.forEach((s, i) => expect(s.segment).toBe(i + 1));
  } finally {
    await store.close();
  }
}

describe('a process killed with SIGKILL while sealing', () => {
  it('leaves an embedded (file-backed PGlite) ledger with no fork and no duplicate seq', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tether-crash-'));
    try {
      const options = { dataDir: join(dir, 'data') };
      await runAndKill(options, 3, dir);
      await expectIntact(options);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);

  it.runIf(postgresUrl)('leaves a PostgreSQL ledger with no fork and no duplicate seq', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tether-crash-'));
    const database = await createPostgresDatabase('tether_crash');
    try {
      const options = { url: database.url };
      // Migrate first so the child does not race the schema.
      await (await openStore(options)).close();
      for (let attempt = 0; attempt < 3; attempt++) await runAndKill(options, 2 + attempt, dir);
      await expectIntact(options);
    } finally {
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
