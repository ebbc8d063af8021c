/**
 * Settings for a CLI run: defaults < config file (--config, or tether.config.json in the
 * working directory) < environment < flags.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolveConfig, settingsFromEnv, settingsFromFile, SETTINGS, type RawSettings, type TetherConfig } from '../config.ts';

/** The option definitions for node:util parseArgs shared by every command. */
export const SETTING_OPTIONS = Object.fromEntries(
  Object.keys(SETTINGS).map((name) => [name, { type: 'string' as const }]),
) as Record<keyof typeof SETTINGS, { type: 'string' }>;

export function loadConfig(flags: Record<string, unknown>, env: Record<string, string | undefined>): TetherConfig {
  const file = typeof flags.config === 'string' ? flags.config : existsSync('tether.config.json') ? 'tether.config.json' : undefined;
  const fromFile = file ? settingsFromFile(readFileSync(file, 'utf8'), file) : {};
  const fromFlags: RawSettings = {};
  for (const name of Object.keys(SETTINGS) as (keyof typeof SETTINGS)[]) {
    if (typeof flags[name] === 'string') fromFlags[name] = flags[name] as string;
  }
  return resolveConfig(fromFile, settingsFromEnv(env), fromFlags);
}

export function settingsHelp(): string {
  return Object.entries(SETTINGS)
    .map(([name, variable]) => `  --${name.padEnd(24)} (${variable})`)
    .join('\n');
}
