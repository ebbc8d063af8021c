/**
 * Configuration: defaults, then a JSON config file, then environment variables, then
 * flags of the same name (SPEC §8). Every value is validated; a bad one is a
 * CONFIG_INVALID error that names the setting.
 */
import { TetherError } from './errors.ts';

export type Role = 'viewer' | 'approver' | 'agent';

export interface TokenConfig {
  name: string;
  role: Role;
  secret: string;
}

export interface ModelConfig {
  url: string;
  model: string;
  key?: string;
}

export interface TetherConfig {
  /** The repository Tether manages. */
  repo: string;
  /** Embedded store, sandboxes, archives. */
  dataDir: string;
  /** postgres://… for PostgreSQL; undefined for the embedded store in the data dir. */
  databaseUrl?: string;
  host: string;
  port: number;
  tokens: TokenConfig[];
  /** How a branch is tested; undefined: the repository's package.json `test` script. */
  testCommand?: string;
  model?: ModelConfig;
  /** How often the goal generator runs on its own, in ms (hourly by default). */
  generatorIntervalMs: number;
  /** Seal the open ledger segment once it holds this many entries. */
  ledgerSegmentEntries: number;
  /** How often the ledger seals a due segment, in ms. */
  ledgerMaintenanceIntervalMs: number;
  /** On PostgreSQL: how long a process's lease on a modification holds without renewal. */
  leaseMs: number;
  logLevel: 'debug' | 'info' | 'warning' | 'error';
}

export const DEFAULTS: TetherConfig = {
  repo: '.',
  dataDir: '.tether',
  host: '127.0.0.1',
  port: 8787,
  tokens: [],
  generatorIntervalMs: 60 * 60 * 1000,
  ledgerSegmentEntries: 10_000,
  ledgerMaintenanceIntervalMs: 60 * 1000,
  leaseMs: 15_000,
  logLevel: 'info',
};

/** Settings as text, keyed by the flag name (`data-dir`) — from the env, flags or a file. */
export type RawSettings = Partial<Record<SettingName, string | number | TokenConfig[] | undefined>>;

type SettingName =
  | 'repo'
  | 'data-dir'
  | 'database-url'
  | 'host'
  | 'port'
  | 'tokens'
  | 'test-command'
  | 'model-url'
  | 'model'
  | 'model-key'
  | 'generator-interval-ms'
  | 'ledger-segment-entries'
  | 'ledger-maintenance-interval-ms'
  | 'lease-ms'
  | 'log-level';

export const SETTINGS: Record<SettingName, string> = {
  repo: 'TETHER_REPO',
  'data-dir': 'TETHER_DATA_DIR',
  'database-url': 'TETHER_DATABASE_URL',
  host: 'TETHER_HOST',
  port: 'TETHER_PORT',
  tokens: 'TETHER_TOKENS',
  'test-command': 'TETHER_TEST_COMMAND',
  'model-url': 'TETHER_MODEL_URL',
  model: 'TETHER_MODEL',
  'model-key': 'TETHER_MODEL_KEY',
  'generator-interval-ms': 'TETHER_GENERATOR_INTERVAL_MS',
  'ledger-segment-entries': 'TETHER_LEDGER_SEGMENT_ENTRIES',
  'ledger-maintenance-interval-ms': 'TETHER_LEDGER_MAINTENANCE_INTERVAL_MS',
  'lease-ms': 'TETHER_LEASE_MS',
  'log-level': 'TETHER_LOG_LEVEL',
};

export function settingsFromEnv(env: Record<string, string | undefined>): RawSettings {
  const out: RawSettings = {};
  for (const [name, variable] of Object.entries(SETTINGS) as [SettingName, string][]) {
    const value = env[variable];
    if (value !== undefined && value !== '') out[name] = value;
  }
  return out;
}

/** Parses `name:role:secret` entries, comma-separated. */
export function parseTokens(text: string): TokenConfig[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((entry) => {
      const [name, role, ...rest] = entry.split(':');
      const secret = rest.join(':');
      if (!name || !role || !secret) {
        throw new TetherError('CONFIG_INVALID', `TETHER_TOKENS entry "${name ?? ''}:…" must be name:role:secret.`, {
          setting: 'tokens',
        });
      }
      if (role !== 'viewer' && role !== 'approver' && role !== 'agent') {
        throw new TetherError('CONFIG_INVALID', `Token "${name}" has role "${role}"; roles are viewer, approver, agent.`, {
          setting: 'tokens',
        });
      }
      if (secret.length < 16) {
        throw new TetherError('CONFIG_INVALID', `Token "${name}" has a secret shorter than 16 characters.`, {
          setting: 'tokens',
        });
      }
      return { name, role, secret };
    });
}

function integer(name: SettingName, value: unknown, min: number, max: number): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new TetherError('CONFIG_INVALID', `${name} must be a whole number from ${min} to ${max}, got "${value}".`, {
      setting: name,
    });
  }
  return n;
}

/** Merges layers (later wins) over the defaults and validates the result. */
export function resolveConfig(...layers: RawSettings[]): TetherConfig {
  const raw: RawSettings = Object.assign({}, ...layers);
  const config: TetherConfig = { ...DEFAULTS, tokens: [] };
  if (raw.repo !== undefined) config.repo = String(raw.repo);
  if (raw['data-dir'] !== undefined) config.dataDir = String(raw['data-dir']);
  if (raw['database-url'] !== undefined) {
    const url = String(raw['database-url']);
    if (!/^postgres(ql)?:\/\//.test(url) && url !== 'memory://') {
      throw new TetherError('CONFIG_INVALID', 'database-url must be a postgres:// URL (or memory:// for an in-memory store).', {
        setting: 'database-url',
      });
    }
    config.databaseUrl = url;
  }
  if (raw.host !== undefined) config.host = String(raw.host);
  if (raw.port !== undefined) config.port = integer('port', raw.port, 0, 65535);
  if (raw.tokens !== undefined) config.tokens = Array.isArray(raw.tokens) ? raw.tokens : parseTokens(String(raw.tokens));
  if (raw['test-command'] !== undefined) config.testCommand = String(raw['test-command']);
  if (raw['model-url'] !== undefined || raw.model !== undefined) {
    if (raw['model-url'] === undefined || raw.model === undefined) {
      throw new TetherError('CONFIG_INVALID', 'Set both TETHER_MODEL_URL and TETHER_MODEL (and TETHER_MODEL_KEY if the endpoint needs one).', {
        setting: 'model',
      });
    }
    config.model = {
      url: String(raw['model-url']),
      model: String(raw.model),
      ...(raw['model-key'] !== undefined ? { key: String(raw['model-key']) } : {}),
    };
  }
  if (raw['generator-interval-ms'] !== undefined) {
    config.generatorIntervalMs = integer('generator-interval-ms', raw['generator-interval-ms'], 1000, 7 * 24 * 3600 * 1000);
  }
  if (raw['ledger-segment-entries'] !== undefined) {
    config.ledgerSegmentEntries = integer('ledger-segment-entries', raw['ledger-segment-entries'], 2, 10_000_000);
  }
  if (raw['lease-ms'] !== undefined) config.leaseMs = integer('lease-ms', raw['lease-ms'], 2000, 3600 * 1000);
  if (raw['ledger-maintenance-interval-ms'] !== undefined) {
    config.ledgerMaintenanceIntervalMs = integer('ledger-maintenance-interval-ms', raw['ledger-maintenance-interval-ms'], 100, 24 * 3600 * 1000);
  }
  if (raw['log-level'] !== undefined) {
    const level = String(raw['log-level']);
    if (!['debug', 'info', 'warning', 'error'].includes(level)) {
      throw new TetherError('CONFIG_INVALID', 'log-level must be debug, info, warning or error.', { setting: 'log-level' });
    }
    config.logLevel = level as TetherConfig['logLevel'];
  }
  return config;
}

/** Reads a JSON config file's settings (keys as the flag names, e.g. "data-dir"). */
export function settingsFromFile(text: string, path: string): RawSettings {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new TetherError('CONFIG_INVALID', `Config file ${path} is not valid JSON: ${(error as Error).message}`, { path });
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TetherError('CONFIG_INVALID', `Config file ${path} must hold a JSON object.`, { path });
  }
  const out: RawSettings = {};
  for (const [key, value] of Object.entries(parsed as Record<string, unknown>)) {
    if (!(key in SETTINGS)) {
      throw new TetherError('CONFIG_INVALID', `Config file ${path} has an unknown setting "${key}".`, { path, setting: key });
    }
    out[key as SettingName] = value as string;
  }
  return out;
}
