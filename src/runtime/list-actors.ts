/**
 * Lists the live actors of a system: every actor reachable from the root through its
 * snapshot's children, with its systemId, the machine it runs and its current state.
 */
import type { AnyActorRef } from 'xstate';

export interface ActorInfo {
  id: string;
  systemId: string | null;
  machine: string | null;
  state: unknown;
  status: string;
}

export function listActors(root: AnyActorRef): ActorInfo[] {
  const out: ActorInfo[] = [];
  const visit = (ref: AnyActorRef) => {
    const snapshot = ref.getSnapshot() as { value?: unknown; status?: string; children?: Record<string, AnyActorRef> };
    const logic = (ref as { logic?: { id?: string; config?: { id?: string } } }).logic;
    out.push({
      id: ref.id,
      systemId: (ref as { systemId?: string }).systemId ?? null,
      machine: logic?.config?.id ?? logic?.id ?? null,
      state: snapshot?.value ?? null,
      status: snapshot?.status ?? 'unknown',
    });
    for (const child of Object.values(snapshot?.children ?? {})) if (child) visit(child);
  };
  visit(root);
  return out;
}
