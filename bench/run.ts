/**
 * `npm run bench`: runs every bench/*.bench.ts (or those named on the command line),
 * prints each section as a table and rewrites bench/RESULTS.md with the command, the
 * machine facts and the figures. Ratios are always tether / baseline.
 */
import { readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, platform, release } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Bench, BenchRow, BenchSection } from './types.ts';

const here = dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.some((w) => f.startsWith(w)))
  .sort();

function fmt(n: number | undefined): string {
  if (n === undefined) return '';
  if (Math.abs(n) >= 1000) return Math.round(n).toLocaleString('en-US');
  return n.toPrecision(3);
}

function ratio(row: BenchRow): string {
  if (row.baseline === undefined || row.baseline === 0) return '';
  return `${(row.tether / row.baseline).toFixed(2)}×`;
}

function table(section: BenchSection): string {
  const lines = [
    `### ${section.title}`,
    '',
    '| case | tether | baseline | unit | ratio (tether/baseline) | target |',
    '| --- | ---: | ---: | --- | ---: | --- |',
    ...section.rows.map(
      (r) =>
        `| ${r.case} | ${fmt(r.tether)} | ${r.baseline === undefined ? '' : `${fmt(r.baseline)} (${r.baselineName ?? 'baseline'})`} | ${r.unit} | ${ratio(r)} | ${r.target ?? ''} |`,
    ),
  ];
  if (section.notes?.length) lines.push('', ...section.notes.map((n) => `- ${n}`));
  return lines.join('\n');
}

const sections: string[] = [];
for (const file of files) {
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: Bench };
  process.stderr.write(`bench: ${file} …\n`);
  const started = performance.now();
  const section = await mod.default();
  const text = table(section);
  console.log(`\n${text}\n(${((performance.now() - started) / 1000).toFixed(1)} s)`);
  sections.push(text);
}

if (wanted.length === 0) {
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  const header = [
    '# Benchmark results',
    '',
    'Reproduce with `npm run bench` (all sections, in one run). Figures are from one run on',
    `this machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()},`,
    `Node ${process.version}, ${new Date().toISOString().slice(0, 10)}. Ratios are tether / baseline.`,
    '',
  ];
  writeFileSync(join(here, 'RESULTS.md'), `${header.join('\n')}\n${sections.join('\n\n')}\n`);
  console.log('\nwrote bench/RESULTS.md');
} else {
  console.log('\n(only some sections ran: bench/RESULTS.md left as it was)');
}
