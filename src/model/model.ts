/**
 * The Model port: one chat completion, optionally with structured output. Small on
 * purpose, like Kysely's Driver: the runtime needs "ask, get text or an object back",
 * and any provider (or a test double) can supply that.
 */
import type { ZodType } from 'zod';

export interface ModelMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface ModelRequest<T = unknown> {
  /** Instructions for the model. */
  system?: string;
  /** The conversation, oldest first; at least one message. */
  messages: ModelMessage[];
  /** When given, the answer must be JSON of this shape: it is parsed and validated. */
  schema?: ZodType<T>;
  /** Cancels the call (the scheduler aborts when a task's lease is lost or it stops). */
  signal?: AbortSignal;
}

export interface ModelResponse<T = unknown> {
  /** The answer as the model wrote it (JSON text when a schema was given). */
  text: string;
  /** The parsed and validated answer, present when a schema was given. */
  object?: T;
}

export interface Model {
  /** A short description for logs and the API, e.g. `llama3.1 at http://127.0.0.1:11434/v1`. */
  readonly description: string;
  /** Whether calls can succeed at all (false for the unconfigured model). */
  readonly configured: boolean;
  /** One completion. Fails with MODEL_NOT_CONFIGURED or MODEL_FAILED as a TetherError. */
  complete<T = unknown>(request: ModelRequest<T>): Promise<ModelResponse<T>>;
}

/** How to reach an OpenAI-compatible endpoint (TETHER_MODEL_URL, TETHER_MODEL, TETHER_MODEL_KEY). */
export interface ModelSettings {
  /** The API base, e.g. `http://127.0.0.1:11434/v1` (requests go to `<url>/chat/completions`). */
  url: string;
  /** The model name the endpoint knows, e.g. `llama3.1`. */
  model: string;
  /** Sent as `Authorization: Bearer <key>`; local servers usually need none. */
  key?: string;
}
