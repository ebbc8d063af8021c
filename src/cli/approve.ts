/**
 * `tether approve ID` (and, through decideCommand, `tether reject ID`): a person's
 * decision sent to the running server over HTTP, so the approval is recorded by the
 * process that holds the store, under the token's name. The token comes from TETHER_TOKEN
 * (preferred: flags show up in `ps`) or --token; the server from --url, TETHER_URL, or
 * the configured host and port.
 */
import type { CliIo, Command } from './main.ts';
import { loadConfig, SETTING_OPTIONS, settingsHelp } from './settings.ts';

type Verb = 'approve' | 'reject';

const FINISHED = ['merged', 'rejected', 'failed', 'conflicted', 'abandoned'];

function serverUrl(flags: Record<string, unknown>, io: CliIo): string {
  if (typeof flags.url === 'string') return flags.url.replace(/\/+$/, '');
  if (io.env.TETHER_URL) return io.env.TETHER_URL.replace(/\/+$/, '');
  const config = loadConfig(flags, io.env);
  // A server listening on every interface is reached on loopback.
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
}

async function call(url: string, init: RequestInit): Promise<{ status: number; body: any }> {
  let res: Response;
  try {
    res = await fetch(url, init);
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).message;
    throw new Error(`cannot reach Tether at ${new URL(url).origin} (${cause}): is \`tether serve\` running there?`);
  }
  const body = await res.json().catch(() => ({}));
  return { status: res.status, body };
}

function randomKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

export async function decide(verb: Verb, args: Parameters<Command['run']>[0]): Promise<number> {
  const { flags, positionals, io } = args;
  const id = positionals[0];
  if (!id || positionals.length > 1) {
    io.err(`tether ${verb}: name one modification id.\n\n${decideCommand(verb).usage}`);
    return 2;
  }
  const token = typeof flags.token === 'string' ? flags.token : io.env.TETHER_TOKEN;
  if (!token) {
    io.err(`tether ${verb}: no token. Set TETHER_TOKEN to an approver token's secret (or pass --token).`);
    return 2;
  }
  const base = serverUrl(flags, io);
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const body = {
    ...(typeof flags.comment === 'string' ? { comment: flags.comment } : {}),
    ...(verb === 'approve' && typeof flags.head === 'string' ? { head: flags.head } : {}),
  };
  let answer;
  try {
    answer = await call(`${base}/api/modifications/${encodeURIComponent(id)}/${verb}`, {
      method: 'POST',
      headers: { ...headers, 'idempotency-key': randomKey() },
      body: JSON.stringify(body),
    });
  } catch (error) {
    io.err(`tether ${verb}: ${(error as Error).message}`);
    return 1;
  }
  if (answer.status !== 200) {
    const error = answer.body?.error ?? { code: `HTTP_${answer.status}`, message: 'unexpected answer' };
    io.err(`tether ${verb}: ${error.code}: ${error.message}`);
    return 1;
  }
  const m = answer.body as { id: string; state: string; head: string | null };
  io.out(verb === 'approve' ? `Approved ${m.id} at ${m.head ?? 'its head'}: merging follows.` : `Rejected ${m.id}.`);
  if (!flags.wait || FINISHED.includes(m.state)) return 0;
  for (;;) {
    await new Promise((r) => setTimeout(r, 250));
    const now = await call(`${base}/api/modifications/${encodeURIComponent(id)}`, { headers });
    if (now.status !== 200) {
      io.err(`tether ${verb}: ${now.body?.error?.code ?? now.status}: ${now.body?.error?.message ?? 'could not follow the modification'}`);
      return 1;
    }
    if (FINISHED.includes(now.body.state)) {
      io.out(`${id} is ${now.body.state}${now.body.mergeCommit ? ` (${now.body.mergeCommit})` : ''}.`);
      return now.body.state === 'merged' ? 0 : 1;
    }
  }
}

export function decideCommand(verb: Verb): Command {
  const what = verb === 'approve' ? 'approve a tested modification' : 'reject a tested modification';
  return {
    summary: `${what} (over HTTP, as TETHER_TOKEN)`,
    usage: [
      `Usage: tether ${verb} ID [options]`,
      '',
      `Asks the running server to ${verb} modification ID. The token is TETHER_TOKEN (an`,
      "approver token's secret) or --token; the server is --url, TETHER_URL, or http://TETHER_HOST:TETHER_PORT.",
      '',
      'Options:',
      '  --comment TEXT             why',
      ...(verb === 'approve' ? ['  --head COMMIT              the head commit being approved (default: the tested head)'] : []),
      '  --token SECRET             the token (prefer TETHER_TOKEN: flags are visible to other users)',
      '  --url URL                  the server (default from TETHER_HOST and TETHER_PORT)',
      ...(verb === 'approve' ? ['  --wait                     wait until it is merged (exit 0) or conflicted or failed (exit 1)'] : []),
      settingsHelp(),
    ].join('\n'),
    options: {
      ...SETTING_OPTIONS,
      comment: { type: 'string' },
      token: { type: 'string' },
      url: { type: 'string' },
      ...(verb === 'approve' ? { head: { type: 'string' as const }, wait: { type: 'boolean' as const } } : {}),
    },
    run: (args) => decide(verb, args),
  };
}

export const approveCommand: Command = decideCommand('approve');
