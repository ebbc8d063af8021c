/**
 * The statechart definitions as JSON (XState's `machine.definition`, which Stately's
 * visualizer imports), by name.
 */
import type { AnyStateMachine } from 'xstate';
import { tetherMachine } from '../../machines/tether.ts';

const registry = new Map<string, AnyStateMachine>([['tether', tetherMachine]]);

/** Adds a machine to /api/machines (subsystems register theirs). */
export function registerMachine(name: string, machine: AnyStateMachine): void {
  registry.set(name, machine);
}

export function machineDefinitions(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, machine] of registry) out[name] = JSON.parse(JSON.stringify(machine.definition));
  return out;
}
