/** Who is calling: the token's name and role, as the auth middleware found them. */
import type { IdempotentRequest } from './idempotency.ts';
import type { Role } from '../config.ts';

export interface Principal {
  /** The token's name: the identity recorded as author or approver. */
  name: string;
  role: Role;
}

/** Why a request carries no principal. */
export type AuthFailure = 'missing' | 'malformed' | 'invalid';

/** Hono's variables for Tether's routes. */
export interface HttpEnv {
  Variables: {
    principal: Principal | undefined;
    authFailure: AuthFailure | undefined;
    /** The request's Idempotency-Key, for the handler to store its answer with its state change. */
    idempotency: IdempotentRequest | undefined;
  };
}
