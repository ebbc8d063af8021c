/**
 * Who may call a route. `public`: anyone (liveness, the page, the API description).
 * `read`: any token (viewer, agent, approver). `submit`: an agent's or a person's token
 * (goals, modifications). `decide`: a person's token (approver): an agent never approves.
 */
import type { Role } from '../config.ts';

export type Access = 'public' | 'read' | 'submit' | 'decide';

export const ACCESS_ROLES: Record<Exclude<Access, 'public'>, readonly Role[]> = {
  read: ['viewer', 'agent', 'approver'],
  submit: ['agent', 'approver'],
  decide: ['approver'],
};

/** What the refusal says a caller needs, in words. */
export const ACCESS_NEEDS: Record<Exclude<Access, 'public'>, string> = {
  read: 'any token',
  submit: 'an agent or approver token',
  decide: 'an approver token',
};
