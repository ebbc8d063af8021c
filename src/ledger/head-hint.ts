/**
 * This process's last known ledger head. An append that guesses the head right needs one
 * statement (update the head if it is still what we think, insert the entry); a wrong
 * guess costs a retry under the head's row lock, never a wrong entry, because the database
 * checks the guess. So the hint may be shared by every store in the process.
 */
export interface HeadHint {
  seq: number;
  hash: string;
}

let hint: HeadHint | undefined;

export function getHeadHint(): HeadHint | undefined {
  return hint;
}

export function setHeadHint(next: HeadHint | undefined): void {
  hint = next;
}
