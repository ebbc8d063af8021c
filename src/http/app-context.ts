/** What every route reads from: the runtime's services and its root actor. */
import type { AnyActorRef } from 'xstate';
import type { TetherServices } from '../runtime/services.ts';

export interface AppContext {
  services: TetherServices;
  system: AnyActorRef;
}
