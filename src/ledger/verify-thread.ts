/**
 * The main thread's side of the verification worker (verify-worker.ts): one worker per
 * process, started on first use and kept (unreferenced while idle, so it never holds the
 * process open), serving verifications as numbered jobs. Pages go out as the database
 * builds them, at most MAX_IN_FLIGHT ahead of the worker, so memory stays bounded however
 * long the ledger.
 *
 * If the worker cannot start (an embedding without tsx on Node, a Deno run without
 * permission to spawn workers), verification runs in the calling thread instead.
 */
import { Worker } from 'node:worker_threads';
import type { ScanEnd, ScanStart } from './chain-scan.ts';
import type { PageText } from './entry-pages.ts';
import type { WorkerReply, WorkerRequest } from './verify-worker.ts';

/** Pages posted and not yet checked: 16 of 2,000 entries is about 11 MB of text. */
const MAX_IN_FLIGHT = 16;

type JobEvent = WorkerReply | { job: number; error: Error };

class VerifyThread {
  readonly #worker: Worker;
  readonly #listeners = new Map<number, (event: JobEvent) => void>();
  #nextJob = 1;
  failed = false;
  /** Loaded and answering: until then a short verification does not wait for it. */
  ready = false;

  constructor() {
    // Deno runs TypeScript in workers as it does everywhere; Node needs the boot file.
    const file = 'Deno' in globalThis ? './verify-worker.ts' : './verify-worker-boot.mjs';
    this.#worker = new Worker(new URL(file, import.meta.url));
    this.#worker.on('message', (reply: WorkerReply) => {
      if ('ready' in reply) this.ready = true;
      else this.#listeners.get(reply.job)?.(reply);
    });
    const fail = (error: Error) => {
      this.failed = true;
      for (const [job, listener] of this.#listeners) listener({ job, error });
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', (code) => fail(new Error(`the verification worker exited with code ${code}`)));
    // After the listeners: adding a 'message' listener refs the worker again, and an idle
    // worker that is referenced keeps the process from exiting.
    this.#worker.unref();
  }

  /** Runs one scan: undefined if the worker failed or found an unclean page (verify in-thread then). */
  async scan(pages: AsyncIterable<PageText>, start: ScanStart): Promise<ScanEnd | undefined> {
    const job = this.#nextJob++;
    let inFlight = 0;
    let outcome: ScanEnd | null | undefined;
    let wake: (() => void) | undefined;
    this.#listeners.set(job, (event) => {
      if ('ack' in event) inFlight--;
      else outcome = 'end' in event ? event.end : null;
      wake?.();
    });
    const settled = () => new Promise<void>((resolve) => (wake = resolve));
    if (this.#listeners.size === 1) this.#worker.ref();
    // Every job is ended exactly once, also one the worker answered early (a failure, an
    // unclean page) or whose read threw: 'end' is what makes the worker forget it.
    let ended = false;
    const end = () => {
      if (ended || this.failed) return;
      ended = true;
      this.#post({ job, kind: 'end' });
    };
    try {
      this.#post({ job, kind: 'start', start });
      for await (const page of pages) {
        while (inFlight >= MAX_IN_FLIGHT && outcome === undefined) await settled();
        if (outcome !== undefined) break;
        this.#post({ job, kind: 'page', n: page.n, text: page.text });
        inFlight++;
      }
      end();
      while (outcome === undefined) await settled();
      return outcome ?? undefined;
    } finally {
      end();
      this.#listeners.delete(job);
      if (this.#listeners.size === 0) this.#worker.unref();
    }
  }

  #post(message: WorkerRequest): void {
    this.#worker.postMessage(message);
  }
}

let shared: VerifyThread | undefined;
let cannotStart = false;

/** Whether the verification worker is loaded and working (then even a short verification uses it). */
export function verifyThreadRunning(): boolean {
  return shared !== undefined && shared.ready && !shared.failed;
}

/**
 * The process's worker, started on first use. One that could not start or failed once is
 * not started again: every verification would pay its start-up only to fail the same way.
 */
function verifyThread(): VerifyThread | undefined {
  if (cannotStart || shared?.failed) return undefined;
  try {
    shared ??= new VerifyThread();
  } catch {
    cannotStart = true;
    return undefined;
  }
  return shared;
}

/**
 * Starts the worker ahead of a verification (`tether ledger verify` does, while it opens
 * the store), so a long one does not wait for it to load.
 */
export function startVerifyThread(): void {
  verifyThread();
}

/** Scans pages in the worker; undefined means "scan them in this thread instead". */
export async function scanInWorker(pages: AsyncIterable<PageText>, start: ScanStart): Promise<ScanEnd | undefined> {
  return verifyThread()?.scan(pages, start);
}
