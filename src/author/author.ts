/**
 * The Author port: turns a goal and the files read for it into proposed changes. An LLM
 * author works over the Model port; a scripted author (tests, the demo) is a function.
 * External agents author through POST /api/modifications instead.
 */
import type { FileChange } from '../git/commit-changes.ts';

export interface AuthorRequest {
  goal: { id: string; title: string; description: string; evidence: Record<string, unknown> };
  /** The files read for the goal, as they are on the target branch. */
  files: { path: string; content: string }[];
}

export interface AuthoredChange {
  title: string;
  reason: string;
  changes: FileChange[];
}

export interface Author {
  /** The author's name: it is the modification's author, so it can never approve it. */
  readonly name: string;
  propose(request: AuthorRequest, signal?: AbortSignal): Promise<AuthoredChange>;
}

/** An author that runs a function: for tests and the demo. */
export function scriptedAuthor(name: string, propose: (request: AuthorRequest) => AuthoredChange | Promise<AuthoredChange>): Author {
  return { name, propose: async (request) => propose(request) };
}
