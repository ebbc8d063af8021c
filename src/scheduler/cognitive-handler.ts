/**
 * The COGNITIVE task handler: asks the Model port and stores its answer as the task's
 * result. A task payload is JSON, so a structured answer's schema is named in the payload
 * and looked up among the zod schemas the caller registers (the planner registers its own).
 *
 * Payload: { system?, prompt? | messages?, schema? }. Result: { text, object? }.
 */
import type { ZodType } from 'zod';
import { TetherError } from '../errors.ts';
import type { Model, ModelMessage } from '../model/model.ts';
import type { TaskHandler } from './task-handler.ts';

export interface CognitiveHandlerOptions {
  /** Schemas a payload may name for a structured answer. */
  schemas?: Readonly<Record<string, ZodType>>;
}

function invalid(message: string, data: Record<string, unknown> = {}): TetherError {
  return new TetherError('VALIDATION_FAILED', `COGNITIVE task: ${message}`, data);
}

function messagesOf(payload: Record<string, unknown>): ModelMessage[] {
  if (typeof payload.prompt === 'string' && payload.prompt) return [{ role: 'user', content: payload.prompt }];
  const messages = payload.messages;
  if (
    Array.isArray(messages) &&
    messages.length > 0 &&
    messages.every((m) => m && (m.role === 'user' || m.role === 'assistant') && typeof m.content === 'string')
  ) {
    return messages as ModelMessage[];
  }
  throw invalid('the payload needs a prompt (text) or messages ([{role, content}])');
}

export function createCognitiveHandler(model: Model, options: CognitiveHandlerOptions = {}): TaskHandler {
  const schemas = options.schemas ?? {};
  return async (task, { signal }) => {
    const payload = task.payload;
    const messages = messagesOf(payload);
    let schema: ZodType | undefined;
    if (payload.schema !== undefined) {
      if (typeof payload.schema !== 'string' || !Object.hasOwn(schemas, payload.schema)) {
        throw invalid(`unknown schema ${JSON.stringify(payload.schema)}`, { known: Object.keys(schemas) });
      }
      schema = schemas[payload.schema];
    }
    const system = typeof payload.system === 'string' ? payload.system : undefined;
    const answer = await model.complete({ ...(system ? { system } : {}), messages, ...(schema ? { schema } : {}), signal });
    return answer.object === undefined ? { text: answer.text } : { text: answer.text, object: answer.object };
  };
}
