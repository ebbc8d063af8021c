/**
 * Chooses the model from settings: an OpenAI-compatible endpoint when url and model are
 * set, else the unconfigured model whose calls fail with MODEL_NOT_CONFIGURED.
 */
import type { Model, ModelSettings } from './model.ts';
import { openAICompatibleModel, type OpenAICompatibleOptions } from './openai-compatible-model.ts';
import { unconfiguredModel } from './unconfigured-model.ts';

/** Reads TETHER_MODEL_URL, TETHER_MODEL and TETHER_MODEL_KEY from an environment record. */
export function modelSettingsFromEnv(env: Record<string, string | undefined>): Partial<ModelSettings> {
  return {
    ...(env.TETHER_MODEL_URL ? { url: env.TETHER_MODEL_URL } : {}),
    ...(env.TETHER_MODEL ? { model: env.TETHER_MODEL } : {}),
    ...(env.TETHER_MODEL_KEY ? { key: env.TETHER_MODEL_KEY } : {}),
  };
}

export function createModel(settings?: Partial<ModelSettings> & Omit<OpenAICompatibleOptions, keyof ModelSettings>): Model {
  if (!settings?.url && !settings?.model) return unconfiguredModel();
  if (!settings.url || !settings.model) {
    const missing = !settings.url ? 'TETHER_MODEL_URL' : 'TETHER_MODEL';
    return unconfiguredModel(`The model is only partly configured: ${missing} is not set.`);
  }
  return openAICompatibleModel({ ...settings, url: settings.url, model: settings.model });
}
