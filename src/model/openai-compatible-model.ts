/**
 * The Model port over the AI SDK's OpenAI-compatible provider, which speaks to OpenAI,
 * Ollama, vLLM, llama.cpp and LM Studio alike. Structured output goes through
 * `generateText` with `Output.object`: the SDK sends the schema as `response_format`
 * and parses and validates the answer.
 */
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { APICallError, generateText, Output } from 'ai';
import { toJSONSchema, type ZodType } from 'zod';
import { TetherError } from '../errors.ts';
import type { Model, ModelRequest, ModelResponse, ModelSettings } from './model.ts';

export interface OpenAICompatibleOptions extends ModelSettings {
  /**
   * Send the schema as `response_format: json_schema` (default true). Servers that only
   * know JSON mode get `json_object`, and the answer is still validated.
   */
  structuredOutputs?: boolean;
  /** Retries inside one call (default 0: the scheduler retries tasks, visibly in history). */
  maxRetries?: number;
  /** Gives up on a call after this long (default 120 s). */
  timeoutMs?: number;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
}

/**
 * In JSON mode (`json_object`) the endpoint never sees the schema, so the instructions
 * carry it; with structured outputs the endpoint enforces it and the prompt stays as is.
 */
function systemPrompt(system: string | undefined, schema: ZodType | undefined, structured: boolean): string | undefined {
  if (!schema || structured) return system;
  const instruction = `Answer with one JSON value only, matching this JSON Schema:\n${JSON.stringify(toJSONSchema(schema))}`;
  return system ? `${system}\n\n${instruction}` : instruction;
}

function validate(options: OpenAICompatibleOptions): void {
  const problems: string[] = [];
  if (!options.url) problems.push('url is required');
  else if (!/^https?:\/\//.test(options.url)) problems.push(`url must be http(s)://…, not ${options.url}`);
  if (!options.model) problems.push('model is required');
  if (problems.length) throw new TetherError('CONFIG_INVALID', `model: ${problems.join('; ')}`, { problems });
}

/** A model failure as MODEL_FAILED, naming the endpoint and, when there is one, the HTTP status. */
function modelFailed(error: unknown, description: string): TetherError {
  if (error instanceof TetherError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const status = APICallError.isInstance(error) ? error.statusCode : undefined;
  const name = error instanceof Error ? error.name : 'Error';
  return new TetherError('MODEL_FAILED', `The model (${description}) failed: ${message}`, { name, ...(status ? { status } : {}) }, { cause: error });
}

export function openAICompatibleModel(options: OpenAICompatibleOptions): Model {
  validate(options);
  const structured = options.structuredOutputs ?? true;
  const provider = createOpenAICompatible({
    name: 'tether',
    baseURL: options.url.replace(/\/+$/, ''),
    ...(options.key ? { apiKey: options.key } : {}),
    supportsStructuredOutputs: structured,
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const languageModel = provider.chatModel(options.model);
  const description = `${options.model} at ${options.url}`;
  const timeoutMs = options.timeoutMs ?? 120_000;

  return {
    description,
    configured: true,
    async complete<T>(request: ModelRequest<T>): Promise<ModelResponse<T>> {
      if (!request.messages?.length) {
        throw new TetherError('VALIDATION_FAILED', 'model: at least one message is required', {});
      }
      const timeout = AbortSignal.timeout(timeoutMs);
      const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
      const system = systemPrompt(request.system, request.schema, structured);
      try {
        const common = {
          model: languageModel,
          ...(system ? { system } : {}),
          messages: request.messages,
          maxRetries: options.maxRetries ?? 0,
          abortSignal: signal,
        };
        if (!request.schema) {
          const result = await generateText(common);
          return { text: result.text };
        }
        const result = await generateText({ ...common, output: Output.object({ schema: request.schema }) });
        return { text: result.text, object: result.output as T };
      } catch (error) {
        throw modelFailed(error, description);
      }
    },
  };
}
