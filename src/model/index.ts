/** The Model port and its implementations. */
export type { Model, ModelMessage, ModelRequest, ModelResponse, ModelSettings } from './model.ts';
export { openAICompatibleModel, type OpenAICompatibleOptions } from './openai-compatible-model.ts';
export { unconfiguredModel } from './unconfigured-model.ts';
export { createModel, modelSettingsFromEnv } from './create-model.ts';
