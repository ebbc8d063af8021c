/**
 * `npm run bench`: runs every bench/*.bench.ts (or those named on the command line),
 * prints each section as a table and rewrites bench/RESULTS.md with the command, the
 * machine facts and the figures. Ratios are always tether / baseline.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem, platform, release } from 'node:os';
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

// Each section is kept in RESULTS.md between markers, so running some sections
// (`npm run bench -- git`) replaces just those and keeps the others' last figures.
const resultsFile = join(here, 'RESULTS.md');
const marker = (name: string) => `<!-- section: ${name} -->`;
function readSections(): Map<string, string> {
  const sections = new Map<string, string>();
  if (!existsSync(resultsFile)) return sections;
  const text = readFileSync(resultsFile, 'utf8');
  for (const match of text.matchAll(/<!-- section: (\S+) -->\n([\s\S]*?)<!-- end: \1 -->/g)) sections.set(match[1]!, match[2]!);
  return sections;
}
const fresh = new Map<string, string>();

for (const file of files) {
  const name = file.replace(/\.bench\.ts$/, '');
  const mod = (await import(pathToFileURL(join(here, file)).href)) as { default: Bench };
  process.stderr.write(`bench: ${file} …\n`);
  const load = loadavg()[0]!.toFixed(1);
  const started = performance.now();
  const section = await mod.default();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const text = table(section);
  console.log(`\n${text}\n(${seconds} s)`);
  const stamp = `\nRun ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`npm run bench -- ${name}\` in ${seconds} s; load average ${load} at its start (2 cores).\n`;
  fresh.set(name, `${text}\n${stamp}`);
}

const cpu = cpus()[0]?.model ?? 'unknown cpu';
const header = [
  '# Benchmark results',
  '',
  'Reproduce with `npm run bench` (every section, in one run) or `npm run bench -- NAME` (one',
  'section, e.g. `git`; the others keep their last figures). Each section says when it ran and',
  'how loaded the machine was: figures taken under load are slower than on a quiet machine.',
  `Machine: ${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${platform()} ${release()}, Node ${process.version}.`,
  'Ratios are tether / baseline.',
  '',
];
// Read again just before writing: another run may have written its sections meanwhile.
const previous = readSections();
for (const [name, text] of fresh) previous.set(name, text);
const body = [...previous.keys()].sort().map((name) => `${marker(name)}\n${previous.get(name)!.trim()}\n<!-- end: ${name} -->`);
writeFileSync(resultsFile, `${header.join('\n')}\n${body.join('\n\n')}\n`);
console.log('\nwrote bench/RESULTS.md');
