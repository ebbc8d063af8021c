import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isTetherError } from '../src/errors.ts';
import { createModel, modelSettingsFromEnv, openAICompatibleModel, unconfiguredModel } from '../src/model/index.ts';
import { startOpenAIServer, type OpenAIServer } from './support/openai-server.ts';

// The SDK warns that JSON mode cannot send a schema; that is the case under test.
(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

const ask = [{ role: 'user' as const, content: 'Which file breaks the build?' }];
const Suspects = z.object({ files: z.array(z.string()), confidence: z.number() });

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('Model port over an OpenAI-compatible endpoint', () => {
  let server: OpenAIServer;
  beforeAll(async () => {
    server = await startOpenAIServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('returns the text of a plain completion and sends system, messages, model and key', async () => {
    server.reply({ text: 'src/build.ts' });
    const model = createModel({ url: server.url, model: 'coder-7b', key: 'sk-test' });
    expect(model.configured).toBe(true);
    const answer = await model.complete({ system: 'You review builds.', messages: ask });
    expect(answer).toEqual({ text: 'src/build.ts' });
    const request = server.requests.at(-1)!;
    expect(request.headers.authorization).toBe('Bearer sk-test');
    expect(request.body.model).toBe('coder-7b');
    expect(request.body.messages).toEqual([
      { role: 'system', content: 'You review builds.' },
      { role: 'user', content: 'Which file breaks the build?' },
    ]);
  });

  it('returns a structured answer parsed and validated against a zod schema sent as json_schema', async () => {
    server.reply({ json: { files: ['src/a.ts'], confidence: 0.8 } });
    const model = createModel({ url: server.url, model: 'coder-7b' });
    const answer = await model.complete({ messages: ask, schema: Suspects });
    expect(answer.object).toEqual({ files: ['src/a.ts'], confidence: 0.8 });
    expect(JSON.parse(answer.text)).toEqual(answer.object);
    const format = server.requests.at(-1)!.body.response_format!;
    expect(format.type).toBe('json_schema');
    expect(format.json_schema?.schema).toMatchObject({ type: 'object', required: ['files', 'confidence'] });
    expect(server.requests.at(-1)!.headers.authorization).toBeUndefined();
  });

  it('uses JSON mode for servers without structured outputs and puts the schema in the instructions', async () => {
    server.reply({ json: { files: [], confidence: 0.1 } });
    const model = openAICompatibleModel({ url: server.url, model: 'small', structuredOutputs: false });
    const answer = await model.complete({ system: 'Be brief.', messages: ask, schema: Suspects });
    expect(answer.object).toEqual({ files: [], confidence: 0.1 });
    const body = server.requests.at(-1)!.body;
    expect(body.response_format).toEqual({ type: 'json_object' });
    const system = String(body.messages![0]!.content);
    expect(system).toContain('Be brief.');
    expect(system).toContain('"confidence"');
  });

  it('fails with MODEL_FAILED when the answer does not match the schema', async () => {
    server.reply({ json: { files: 'not a list' } });
    const model = createModel({ url: server.url, model: 'coder-7b' });
    const error = await rejection(model.complete({ messages: ask, schema: Suspects }));
    expect(isTetherError(error, 'MODEL_FAILED')).toBe(true);
  });

  it('fails with MODEL_FAILED naming the HTTP status when the endpoint errs', async () => {
    server.reply({ status: 503, error: 'overloaded' });
    const model = createModel({ url: server.url, model: 'coder-7b' });
    const error = await rejection(model.complete({ messages: ask }));
    expect(isTetherError(error, 'MODEL_FAILED')).toBe(true);
    expect((error as { data: Record<string, unknown> }).data.status).toBe(503);
    expect((error as Error).message).toContain('overloaded');
  });

  it('stops a call when its signal aborts', async () => {
    const slow = await startOpenAIServer({ fallback: () => ({ text: 'late' }) });
    const model = createModel({ url: slow.url, model: 'm' });
    const controller = new AbortController();
    controller.abort(new Error('lease lost'));
    const error = await rejection(model.complete({ messages: ask, signal: controller.signal }));
    expect(isTetherError(error, 'MODEL_FAILED')).toBe(true);
    await slow.close();
  });
});

describe('Model configuration', () => {
  it('gives a model whose calls fail with MODEL_NOT_CONFIGURED when nothing is configured', async () => {
    const model = createModel(modelSettingsFromEnv({}));
    expect(model.configured).toBe(false);
    const error = await rejection(model.complete({ messages: ask }));
    expect(isTetherError(error, 'MODEL_NOT_CONFIGURED')).toBe(true);
    expect((error as Error).message).toContain('TETHER_MODEL_URL');
  });

  it('names the missing variable when the model is only partly configured', async () => {
    const error = await rejection(createModel(modelSettingsFromEnv({ TETHER_MODEL_URL: 'http://127.0.0.1:1/v1' })).complete({ messages: ask }));
    expect(isTetherError(error, 'MODEL_NOT_CONFIGURED')).toBe(true);
    expect((error as Error).message).toContain('TETHER_MODEL ');
  });

  it('reads url, model and key from TETHER_MODEL_URL, TETHER_MODEL and TETHER_MODEL_KEY', () => {
    expect(modelSettingsFromEnv({ TETHER_MODEL_URL: 'http://h/v1', TETHER_MODEL: 'm', TETHER_MODEL_KEY: 'k', OTHER: 'x' })).toEqual({
      url: 'http://h/v1',
      model: 'm',
      key: 'k',
    });
  });

  it('refuses a URL that is not http(s) with CONFIG_INVALID', () => {
    let error: unknown;
    try {
      openAICompatibleModel({ url: 'ftp://h', model: 'm' });
    } catch (caught) {
      error = caught;
    }
    expect(isTetherError(error, 'CONFIG_INVALID')).toBe(true);
  });

  it('describes the unconfigured model', () => {
    expect(unconfiguredModel().description).toBe('no model configured');
  });
});
