/**
 * Failpoints: named places where a test can make this process die on the spot, to prove
 * that a crash exactly there loses nothing (as fail-rs and FoundationDB's buggify do).
 *
 * `TETHER_FAILPOINTS=name[@n],…` arms them: the n-th time (default the first) the process
 * reaches `name`, it writes `failpoint NAME` to stderr and sends itself SIGKILL, so no
 * finally block, exit handler or buffered write runs, the same as a power cut of the
 * process. Unset (always, outside tests), each call is one Map lookup.
 */
import process from 'node:process';

/** Every failpoint in the code; the crash suite walks this list. */
export const FAILPOINTS = [
  /** A branch's blobs, trees and commit are written; its ref has not moved. */
  'git.branch.objects-written',
  /** The merge commit is written; the target ref has not moved. */
  'git.merge.commit-written',
  /** The target ref moved; the checked-out files are not updated yet. */
  'git.merge.ref-moved',
  /** Some checked-out files are rewritten; the index is not (index.lock is held). */
  'git.merge.worktree-partly-written',
  /** A ref file is deleted (a finished branch); its lock file is still there. */
  'git.ref-deleted.lock-held',
  /** The merge is in git; the store does not know yet. */
  'modification.merge.before-record',
  /** A modification transition's rows are written; its transaction has not committed. */
  'modification.transition.before-commit',
  /** A seal and its sealed entry are written; the transaction has not committed. */
  'ledger.seal.before-commit',
  /** The migrations ran; their transaction has not committed. */
  'store.migrate.before-commit',
  /** A write request's state committed; its answer is not sent yet. */
  'http.write.before-answer',
] as const;

export type FailpointName = (typeof FAILPOINTS)[number];

function parse(spec: string | undefined): Map<string, number> {
  const armed = new Map<string, number>();
  for (const item of (spec ?? '').split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name, nth] = item.split('@');
    armed.set(name!, nth ? Math.max(1, Number(nth) || 1) : 1);
  }
  return armed;
}

const armed = parse(process.env.TETHER_FAILPOINTS);

/** Dies here if the failpoint is armed and this is its n-th hit. */
export function failpoint(name: FailpointName): void {
  const left = armed.get(name);
  if (left === undefined) return;
  if (left > 1) {
    armed.set(name, left - 1);
    return;
  }
  process.stderr.write(`failpoint ${name}\n`);
  process.kill(process.pid, 'SIGKILL');
}
