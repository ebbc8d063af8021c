/**
 * What the crash suite asks of Tether, over HTTP only, as an agent and a person would:
 * submit a change, wait for its tests, approve it, wait for the merge. Requests that a
 * kill interrupts fail with a network error; callers that expect a kill catch it.
 */
import { AGENT, APPROVER, eventually, type Server, type World } from './fault-harness.ts';

let counter = 0;

/** A change to a file of its own, so changes never conflict with each other or the person's edits. */
export function newChange(label: string): { title: string; changes: { path: string; content: string }[] } {
  counter++;
  const slug = `${label.replace(/[^a-z0-9]+/gi, '-').toLowerCase()}-${process.pid}-${counter}`;
  return { title: `change ${slug}`, changes: [{ path: `mods/${slug}.txt`, content: `written by ${slug}\n` }] };
}

export async function submit(server: Server, label: string): Promise<string> {
  const answer = await server.call('POST', '/api/modifications', AGENT, newChange(label));
  if (answer.status !== 201) throw new Error(`submit answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  return answer.body.id;
}

export async function stateOf(server: Server, id: string): Promise<string> {
  const answer = await server.call('GET', `/api/modifications/${id}`, APPROVER);
  if (answer.status !== 200) throw new Error(`GET ${id} answered ${answer.status}`);
  return answer.body.state;
}

/** Waits for one of `states`; fails early on a state outside `allowed` (a wrong ending). */
export function reach(server: Server, id: string, states: string[], timeoutMs = 60_000): Promise<string> {
  return eventually(`${id} to reach ${states.join('/')}`, async () => {
    const state = await stateOf(server, id);
    return states.includes(state) ? state : undefined;
  }, timeoutMs);
}

export function approve(server: Server, id: string, key?: string) {
  return server.call('POST', `/api/modifications/${id}/approve`, APPROVER, {}, key ? { 'Idempotency-Key': key } : {});
}

/**
 * Drives a modification to `merged` from wherever a crash left it: waits for its tests,
 * approves it unless already approved, waits for the merge.
 */
export async function finish(world: World, id: string): Promise<void> {
  const server = world.server!;
  const state = await reach(server, id, ['tested', 'approved', 'merged', 'failed', 'rejected', 'conflicted', 'abandoned']);
  if (state === 'tested') {
    const answer = await approve(server, id);
    if (answer.status !== 200) throw new Error(`approve ${id} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
  }
  const end = await reach(server, id, ['merged', 'failed', 'rejected', 'conflicted', 'abandoned']);
  if (end !== 'merged') {
    const detail = await server.call('GET', `/api/modifications/${id}`, APPROVER);
    throw new Error(`${id} ended ${end}, not merged: ${JSON.stringify(detail.body.error)}`);
  }
}

/** Runs `work`, which the armed failpoint should cut short; resolves once the process is dead. */
export async function untilKilled(world: World, work: (server: Server) => Promise<unknown>, timeoutMs = 60_000): Promise<void> {
  const server = world.server!;
  const timer = setTimeout(() => server.child.kill('SIGKILL'), timeoutMs);
  // The work may wait for something only the dead process would have done: stop at the death.
  await Promise.race([work(server).catch(() => undefined), server.gone]);
  const { signal } = await server.gone;
  clearTimeout(timer);
  world.server = undefined;
  if (signal !== 'SIGKILL') throw new Error(`the server exited with ${signal ?? 'a code'}, not by its failpoint`);
  const { stderr } = server.child.output();
  if (!/failpoint /.test(stderr)) throw new Error(`the server was killed before reaching its failpoint (timeout ${timeoutMs} ms): ${stderr.slice(-3000)}`);
  world.kills++;
}
