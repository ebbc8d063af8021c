/** Tether's public entry: the runtime factory, the machines and the types. */
export { createTether, type Tether, type TetherOptions } from './runtime/create-tether.ts';
export { resolveConfig, parseTokens, type TetherConfig, type TokenConfig, type Role } from './config.ts';
export { TetherError, isTetherError, type ErrorCode } from './errors.ts';
export { openStore, type Store, type StoreOptions, type Backend } from './store/open-store.ts';
export { migrate } from './store/migrate.ts';
export { SimulatedClock, systemClock, type Clock } from './ports/clock.ts';
export { tetherMachine, SUBSYSTEMS } from '../machines/tether.ts';
export { createApp } from './http/app.ts';
export { tetherLogic, type TetherLogicEvent, type TetherParentEvent } from './runtime/tether-logic.ts';
export type { HttpOptions } from './http/app.ts';
export { inspectableEvent, plainInspection } from './http/inspectable.ts';
