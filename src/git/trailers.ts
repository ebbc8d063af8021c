/**
 * Commit messages with git trailers (`Tether-Goal: g1`), in the form
 * `git interpret-trailers --parse` reads: the last paragraph, one `Key: value` per line.
 */
import { TetherError } from '../errors.ts';

const KEY = /^[A-Za-z0-9][A-Za-z0-9-]*$/;

/** Appends the trailers to the message as its final paragraph. */
export function formatCommitMessage(message: string, trailers: Readonly<Record<string, string>> = {}, op = 'formatCommitMessage'): string {
  const body = message.replace(/\s+$/, '');
  if (body === '') throw new TetherError('VALIDATION_FAILED', 'commit message is empty', { op });
  const lines: string[] = [];
  for (const [key, value] of Object.entries(trailers)) {
    if (!KEY.test(key)) throw new TetherError('VALIDATION_FAILED', `invalid trailer key ${JSON.stringify(key)}`, { op, key });
    if (/[\r\n]/.test(value) || value.trim() === '') {
      throw new TetherError('VALIDATION_FAILED', `invalid trailer value for ${key}`, { op, key, value });
    }
    lines.push(`${key}: ${value.trim()}`);
  }
  return lines.length === 0 ? `${body}\n` : `${body}\n\n${lines.join('\n')}\n`;
}
