/**
 * Inspection events made safe to send to Stately's inspector. Snapshots and actor inputs
 * can hold live objects (the store with its PGlite instance, actor refs, file systems);
 * serialized as they are, they take minutes and can overflow. Only plain data goes out:
 * class instances become `[Name]`, actor refs `[actor <id>]`, and depth, array length and
 * string length are bounded.
 */
import type { AnyActorRef, InspectionEvent, Observer } from 'xstate';

const MAX_DEPTH = 8;
const MAX_ITEMS = 100;
const MAX_STRING = 2000;

function plain(value: unknown, depth: number): unknown {
  if (value === null || typeof value === 'boolean' || typeof value === 'number') return value;
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'function') return `[function ${value.name || 'anonymous'}]`;
  if (typeof value !== 'object') return undefined;
  if (value instanceof Date) return value.toISOString();
  if (depth >= MAX_DEPTH) return '[…]';
  if (Array.isArray(value)) return value.slice(0, MAX_ITEMS).map((v) => plain(v, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    const id = (value as { id?: unknown; sessionId?: unknown }).sessionId !== undefined ? (value as { id?: unknown }).id : undefined;
    return id !== undefined ? `[actor ${String(id)}]` : `[${proto?.constructor?.name ?? 'object'}]`;
  }
  const out: Record<string, unknown> = {};
  let n = 0;
  for (const [k, v] of Object.entries(value)) {
    if (n++ >= MAX_ITEMS) break;
    out[k] = plain(v, depth + 1);
  }
  return out;
}

/** Use as `serialize` of an @statelyai/inspect inspector. */
export function inspectableEvent<T>(event: T): T {
  return plain(event, 0) as T;
}

/**
 * Wraps an inspector's observer so that what it stringifies is already plain: the
 * inspector serializes snapshots (with their child actor refs) and actor snapshots before
 * any `serialize` option runs, so sanitizing has to happen on the way in.
 */
export function plainInspection(observer: Observer<InspectionEvent>): (event: InspectionEvent) => void {
  return (event) => {
    if (event.type === '@xstate.snapshot') {
      observer.next?.({ ...event, snapshot: plain(event.snapshot, 0), event: plain(event.event, 0) } as InspectionEvent);
    } else if (event.type === '@xstate.actor') {
      const ref = event.actorRef as AnyActorRef & { _parent?: unknown; logic?: unknown };
      const view = { id: ref.id, sessionId: ref.sessionId, logic: ref.logic, _parent: ref._parent, getSnapshot: () => plain(ref.getSnapshot(), 0) };
      observer.next?.({ ...event, actorRef: view } as unknown as InspectionEvent);
    } else if (event.type === '@xstate.event') {
      observer.next?.({ ...event, event: plain(event.event, 0) } as InspectionEvent);
    } else {
      observer.next?.(event);
    }
  };
}
