/**
 * Helpers for tests that run several real `tether serve` processes on one PostgreSQL
 * database: start one, call its API, wait for a condition.
 */
import type { ChildProcess } from 'node:child_process';
import { exited, freePort, startCli, waitForHttp } from './cli.ts';
import { tempDir } from '../git-fixtures.ts';

export interface Node {
  name: string;
  port: number;
  child: ChildProcess & { output(): { stdout: string; stderr: string } };
  alive: boolean;
}

export const AGENT_SECRET = 'cluster-agent-secret-0123456789';
export const APPROVER_SECRET = 'cluster-approver-secret-0123456789';

/** Starts `tether serve` on `databaseUrl` and the shared repository; resolves once /health answers. */
export async function startNode(name: string, databaseUrl: string, repoDir: string, extraEnv: Record<string, string> = {}): Promise<Node> {
  const port = freePort();
  const child = startCli(['serve'], {
    TETHER_DATABASE_URL: databaseUrl,
    TETHER_REPO: repoDir,
    // Each process its own data dir (test sandboxes); the store is the shared database.
    TETHER_DATA_DIR: tempDir(`tether-${name}-`),
    TETHER_PORT: String(port),
    TETHER_TOKENS: `agent:agent:${AGENT_SECRET},alice:approver:${APPROVER_SECRET}`,
    ...extraEnv,
  });
  const died = exited(child).then(({ code, signal }) => {
    throw new Error(`tether serve ${name} exited (${code ?? signal}) before answering: ${JSON.stringify(child.output())}`);
  });
  try {
    await Promise.race([waitForHttp(`http://127.0.0.1:${port}/health`, 150_000), died]);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${String(error)}\n${JSON.stringify(child.output())}`);
  }
  died.catch(() => {});
  return { name, port, child, alive: true };
}

export async function api<T = any>(node: Node, method: string, path: string, secret?: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`http://127.0.0.1:${node.port}${path}`, {
    method,
    headers: { ...(secret ? { Authorization: `Bearer ${secret}` } : {}), ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}

/** Polls `check` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitUntil<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs: number, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value as T;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
