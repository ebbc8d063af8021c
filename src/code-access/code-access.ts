/**
 * The code-access API the HTTP layer, the scheduler's CODE_* tasks and embedders call.
 * Decisions and proposals are committed to the store first; the live `codeAccess` actor is
 * then told, so it runs the branch, test and merge work.
 */
import git from 'isomorphic-git';
import { createTwoFilesPatch } from 'diff';
import type { Kysely } from 'kysely';
import type { AnyActorRef } from 'xstate';
import { TetherError } from '../errors.ts';
import { checkTreePath } from '../policy/check-tree-path.ts';
import type { Database } from '../store/schema.ts';
import { FINISHED_STATES, type ModificationState } from '../../machines/modification.ts';
import { decideModification, type Decision } from './decide-modification.ts';
import { modificationInput } from './modification-input.ts';
import { getModification, type Modification } from './modification-store.ts';
import { recordDenial } from './record-denial.ts';
import type { Repo } from './repo.ts';
import { submitModification, type SubmitRequest, type WithinTransaction } from './submit-modification.ts';
import { deleteBranch } from './steps.ts';
import { sweepBranches } from './sweep-branches.ts';
import { refCommit, targetRef } from './target-ref.ts';
import { changedPaths } from '../git/changed-paths.ts';

export interface CodeAccessOptions {
  db: Kysely<Database>;
  repo: Repo;
  now(): number;
  /** The live codeAccess actor, once the system runs. */
  actor(): AnyActorRef | undefined;
  /**
   * Several processes on one database: takes this process's lease on a just-submitted
   * modification; its actor starts here only if that succeeds (else another process,
   * which claimed it first, runs it). Absent: every modification runs here.
   */
  claim?(id: string): Promise<boolean>;
}

const decoder = new TextDecoder();

export class CodeAccess {
  readonly #o: CodeAccessOptions;

  constructor(options: CodeAccessOptions) {
    this.#o = options;
  }

  get repo(): Repo {
    return this.#o.repo;
  }

  /** CODE_MODIFY: propose changes; branching and testing go on afterwards. */
  /** `within` runs inside the proposal's transaction (the HTTP layer stores its answer there). */
  async submit(request: SubmitRequest, within?: WithinTransaction<Modification>): Promise<Modification> {
    const m = await submitModification(this.#o.db, this.#o.repo, request, within);
    // A failed claim is not the submitter's problem: the row is stored, and some process's lease sync claims it.
    const mine = this.#o.claim ? await this.#o.claim(m.id).catch(() => false) : true;
    if (mine) this.#o.actor()?.send({ type: 'codeAccess.track', modification: modificationInput(m, this.#o.now()) });
    return m;
  }

  async decide(id: string, decision: Decision, within?: WithinTransaction<Modification>): Promise<Modification> {
    const m = await decideModification(this.#o.db, id, decision, within);
    // A rejected or withdrawn change keeps no branch (a merge deletes its own); one a
    // failure leaves here goes at the next start-up sweep.
    if (decision.kind !== 'approve') await deleteBranch(this.#o.repo, m).catch(() => undefined);
    const event =
      decision.kind === 'approve'
        ? { type: 'modification.approve', approver: decision.by, head: m.head ?? undefined }
        : decision.kind === 'reject'
          ? { type: 'modification.reject', by: decision.by }
          : { type: 'modification.withdraw', by: decision.by };
    this.#o.actor()?.send({ type: 'codeAccess.forward', id, event });
    return m;
  }

  /** Asks an approved modification whose merge was refused (dirty tree) to try again. */
  retryMerge(id: string): void {
    this.#o.actor()?.send({ type: 'codeAccess.forward', id, event: { type: 'modification.merge' } });
  }

  get(id: string): Promise<Modification> {
    return getModification(this.#o.db, id);
  }

  /** At start-up: removes the lock files and branches a crash left behind; returns the branches. */
  sweepBranches(): Promise<string[]> {
    return sweepBranches(this.#o.db, this.#o.repo);
  }

  /** Resolves once the modification is in one of `states` (polling the store). */
  async waitFor(id: string, states: readonly ModificationState[] = FINISHED_STATES, timeoutMs = 60_000): Promise<Modification> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = await getModification(this.#o.db, id);
      if (states.includes(m.state)) return m;
      if (Date.now() > deadline) throw new Error(`modification ${id} is still ${m.state} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /** CODE_READ: a file of the target branch (or a given commit), inside the policy. */
  async read(path: string, options: { actor: string; commit?: string } = { actor: 'codeAccess' }): Promise<{ path: string; content: string; commit: string }> {
    const repo = this.#o.repo;
    try {
      const commit = options.commit ?? (await refCommit(repo, await targetRef(repo)));
      const checked = await checkTreePath({ fs: repo.fs, gitdir: repo.gitdir, cache: repo.cache, tree: commit, path, access: 'read', policy: repo.policy, op: 'read' });
      if (!checked.entry || checked.entry.type !== 'blob') throw new TetherError('NOT_FOUND', `No file ${checked.path} at ${commit}.`, { op: 'read', path: checked.path });
      const { blob } = await git.readBlob({ fs: repo.fs, gitdir: repo.gitdir, oid: checked.entry.oid, cache: repo.cache });
      if (blob.byteLength > repo.policy.maxFileBytes) {
        throw new TetherError('FILE_TOO_LARGE', `${checked.path} is ${blob.byteLength} bytes; the limit is ${repo.policy.maxFileBytes}.`, { op: 'read', path: checked.path });
      }
      return { path: checked.path, content: decoder.decode(blob), commit };
    } catch (error) {
      if (error instanceof TetherError && error.code !== 'NOT_FOUND') await recordDenial(this.#o.db, error, { actor: options.actor, op: 'read' });
      throw error;
    }
  }

  /**
   * CODE_ANALYZE: the repository files that error messages and stack traces point at,
   * most mentioned first. Only paths inside the policy that exist at the target are kept.
   */
  async analyze(texts: string[]): Promise<{ path: string; mentions: number }[]> {
    const repo = this.#o.repo;
    const commit = await refCommit(repo, await targetRef(repo));
    const counts = new Map<string, number>();
    for (const text of texts) {
      for (const match of text.matchAll(/(?:[A-Za-z0-9_.-]+\/)*[A-Za-z0-9_.-]+\.[A-Za-z0-9]{1,5}/g)) {
        const candidate = match[0].replace(/^\.\//, '');
        counts.set(candidate, (counts.get(candidate) ?? 0) + 1);
      }
    }
    const out: { path: string; mentions: number }[] = [];
    for (const [candidate, mentions] of counts) {
      try {
        const checked = await checkTreePath({ fs: repo.fs, gitdir: repo.gitdir, cache: repo.cache, tree: commit, path: candidate, access: 'read', policy: repo.policy, op: 'analyze' });
        if (checked.entry?.type === 'blob') out.push({ path: checked.path, mentions });
      } catch {
        // not a readable repository path: ignore
      }
    }
    return out.sort((a, b) => b.mentions - a.mentions || a.path.localeCompare(b.path));
  }

  /** The unified diff of a modification against its base. */
  async diff(id: string): Promise<string> {
    const m = await getModification(this.#o.db, id);
    if (!m.head || !m.baseCommit) return '';
    const repo = this.#o.repo;
    const [baseTree, headTree] = await Promise.all([
      git.readCommit({ fs: repo.fs, gitdir: repo.gitdir, oid: m.baseCommit, cache: repo.cache }).then((c) => c.commit.tree),
      git.readCommit({ fs: repo.fs, gitdir: repo.gitdir, oid: m.head, cache: repo.cache }).then((c) => c.commit.tree),
    ]);
    const paths = await changedPaths(repo.fs, repo.gitdir, baseTree, headTree, repo.cache);
    const read = async (commit: string, path: string): Promise<string> => {
      try {
        const { blob } = await git.readBlob({ fs: repo.fs, gitdir: repo.gitdir, oid: commit, filepath: path, cache: repo.cache });
        return decoder.decode(blob);
      } catch {
        return '';
      }
    };
    const parts: string[] = [];
    for (const path of paths) {
      const [before, after] = await Promise.all([read(m.baseCommit, path), read(m.head, path)]);
      parts.push(createTwoFilesPatch(`a/${path}`, `b/${path}`, before, after, undefined, undefined, { context: 3 }));
    }
    return parts.join('');
  }
}
