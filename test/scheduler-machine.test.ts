import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { backoffDelay, DEFAULT_BACKOFF, taskMachine } from '../machines/task.ts';
import { decideTransition } from '../src/scheduler/decide-transition.ts';
import { isTetherError } from '../src/errors.ts';

const backoff = { baseMs: 100, factor: 2, maxMs: 1_000 };
const boom = { class: 'Error', message: 'boom' };

describe('task statechart', () => {
  it('runs a task from queued through running to succeeded', () => {
    const actor = createActor(taskMachine, { input: { maxAttempts: 2 } }).start();
    actor.send({ type: 'task.lease' });
    expect(actor.getSnapshot().value).toBe('running');
    expect(actor.getSnapshot().context.attempts).toBe(1);
    actor.send({ type: 'task.succeed' });
    expect(actor.getSnapshot().value).toBe('succeeded');
    expect(actor.getSnapshot().status).toBe('done');
  });

  it('queues a failed attempt again with exponential backoff until the attempts are spent', () => {
    const actor = createActor(taskMachine, { input: { maxAttempts: 3, backoff } }).start();
    const delays: Array<number | null> = [];
    for (let i = 0; i < 3; i++) {
      actor.send({ type: 'task.lease' });
      actor.send({ type: 'task.fail', error: boom });
      delays.push(actor.getSnapshot().context.retryDelayMs);
    }
    expect(delays).toEqual([100, 200, null]);
    expect(actor.getSnapshot().value).toBe('failed');
    expect(actor.getSnapshot().context.error).toEqual(boom);
  });

  it('fails at once when the error says retrying cannot help', () => {
    const next = decideTransition(
      { id: 't', status: 'running', attempts: 1, maxAttempts: 5 },
      { type: 'task.fail', error: { ...boom, retryable: false } },
      backoff,
    );
    expect(next.status).toBe('failed');
  });

  it('caps the backoff at its maximum', () => {
    expect(backoffDelay(backoff, 1)).toBe(100);
    expect(backoffDelay(backoff, 4)).toBe(800);
    expect(backoffDelay(backoff, 10)).toBe(1_000);
    expect(backoffDelay(DEFAULT_BACKOFF, 1)).toBe(1_000);
  });

  it('requeues an expired lease at once, and fails it when no attempt is left', () => {
    const task = { id: 't', status: 'running', attempts: 1, maxAttempts: 2 };
    const requeued = decideTransition(task, { type: 'task.expire' }, backoff);
    expect(requeued.status).toBe('queued');
    expect(requeued.context.retryDelayMs).toBe(0);
    expect(requeued.context.error?.class).toBe('LEASE_EXPIRED');
    expect(decideTransition({ ...task, attempts: 2 }, { type: 'task.expire' }, backoff).status).toBe('failed');
  });

  it('gives the attempt back when a lease is released', () => {
    const next = decideTransition({ id: 't', status: 'running', attempts: 2, maxAttempts: 3 }, { type: 'task.release' }, backoff);
    expect(next).toMatchObject({ status: 'queued', context: { attempts: 1 } });
  });

  it('re-queues a failed task with a fresh attempt budget on task.retry', () => {
    const next = decideTransition({ id: 't', status: 'failed', attempts: 3, maxAttempts: 3 }, { type: 'task.retry' }, backoff);
    expect(next).toMatchObject({ status: 'queued', context: { attempts: 3, maxAttempts: 6 } });
  });

  it('refuses an event the state does not accept with INVALID_TRANSITION', () => {
    for (const status of ['queued', 'succeeded', 'failed']) {
      let error: unknown;
      try {
        decideTransition({ id: 't', status, attempts: 1, maxAttempts: 3 }, { type: 'task.succeed' }, backoff);
      } catch (caught) {
        error = caught;
      }
      expect(isTetherError(error, 'INVALID_TRANSITION')).toBe(true);
    }
  });
});
