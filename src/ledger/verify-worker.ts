/**
 * The verification worker's body. The main thread reads pages of entries from the
 * database and posts their text here; this thread parses and hashes them and walks the
 * chain (ChainScan), so the two cores work at once. On PGlite, which runs in the main
 * thread, that is 1.3–1.9× the rate of one thread (bench/ledger.bench.ts).
 *
 * Messages (one worker serves several verifications, told apart by `job`):
 *   in:  { job, kind: 'start', start: ScanStart } | { job, kind: 'page', n, text }
 *        | { job, kind: 'end' } (sent for every job, also after an early answer: it frees the job)
 *   out: { job: 0, ready: true } once loaded;
 *        { job, ack: true } per page checked (the main thread keeps a few pages in flight);
 *        { job, end: ScanEnd } at the end or the first failure;
 *        { job, unclean: true } for a page whose TSV text is not clean (the main thread
 *        then verifies in its own thread, which reads such pages in the safe form)
 */
import { parentPort } from 'node:worker_threads';
import { ChainScan, type ScanEnd, type ScanStart } from './chain-scan.ts';
import { tsvPageEntries } from './page-text.ts';

export type WorkerRequest =
  | { job: number; kind: 'start'; start: ScanStart }
  | { job: number; kind: 'page'; n: number; text: string }
  | { job: number; kind: 'end' };

export type WorkerReply = { job: number; ack: true } | { job: number; end: ScanEnd } | { job: number; unclean: true } | { job: 0; ready: true };

const scans = new Map<number, ChainScan | 'done'>();

function reply(message: WorkerReply): void {
  parentPort!.postMessage(message);
}

parentPort?.on('message', (message: WorkerRequest) => {
  const scan = scans.get(message.job);
  if (message.kind === 'start') {
    scans.set(message.job, new ChainScan(message.start));
    return;
  }
  if (message.kind === 'end') {
    scans.delete(message.job);
    if (scan instanceof ChainScan) reply({ job: message.job, end: scan.end() });
    return;
  }
  // A job that failed or hit an unclean page has answered already: its later pages are
  // dropped until its 'end' frees it.
  if (!(scan instanceof ChainScan)) return;
  const entries = tsvPageEntries(message.n, message.text);
  if (!entries) {
    scans.set(message.job, 'done');
    reply({ job: message.job, unclean: true });
    return;
  }
  if (scan.push(entries)) {
    scans.set(message.job, 'done');
    reply({ job: message.job, end: scan.end() });
    return;
  }
  reply({ job: message.job, ack: true });
});

reply({ job: 0, ready: true });
