/**
 * The built-in HTN methods.
 *
 * fix-task-failure: locate the suspect files from the failures' messages and stack traces
 * (CODE_ANALYZE), read them (CODE_READ), have the author propose a change (CODE_MODIFY),
 * wait for the branch's tests (CODE_TEST), then wait for a person (AWAIT_APPROVAL).
 * `fix-from-trace` applies when the evidence names files in the repository; the fallback
 * `fix-with-model` asks the model where to look first (COGNITIVE).
 *
 * user-goal: ask the model (COGNITIVE); an answer that proposes changes continues with
 * CODE_MODIFY, CODE_TEST and AWAIT_APPROVAL.
 */
import type { Method } from './htn.ts';

const CODE_TAIL = [
  { type: 'CODE_MODIFY', params: {} },
  { type: 'CODE_TEST', params: {} },
  { type: 'AWAIT_APPROVAL', params: {} },
];

export const fixFromTrace: Method = {
  name: 'fix-from-trace',
  task: 'fix-task-failure',
  precondition: (facts) => facts.suspectFiles.length > 0,
  decompose: (facts) => [
    { type: 'CODE_ANALYZE', params: {} },
    { type: 'CODE_READ', params: { paths: facts.suspectFiles.slice(0, 5) } },
    ...CODE_TAIL,
  ],
};

export const fixWithModel: Method = {
  name: 'fix-with-model',
  task: 'fix-task-failure',
  precondition: (facts) => facts.modelConfigured,
  decompose: () => [
    { type: 'COGNITIVE', params: { purpose: 'locate-files' } },
    { type: 'CODE_READ', params: {} },
    ...CODE_TAIL,
  ],
};

export const askModel: Method = {
  name: 'ask-model',
  task: 'user-goal',
  precondition: () => true,
  decompose: () => [{ type: 'COGNITIVE', params: { purpose: 'answer-goal' } }],
};

export const BUILT_IN_METHODS: readonly Method[] = [fixFromTrace, fixWithModel, askModel];
