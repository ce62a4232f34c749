/** Builds the one frozen Config from defaults, an optional JSON config file, env vars and overrides. */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import { BrutalistError } from '../errors/index.js';
import { type Config, OPTIONS, type OptionName } from './options.js';

export type ConfigInput = { [K in OptionName]?: unknown };

function describe(value: unknown): string {
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return `${shown.length > 60 ? `${shown.slice(0, 60)}…` : shown} (${Array.isArray(value) ? 'array' : typeof value})`;
}

function invalid(name: string, expectation: string, value: unknown): BrutalistError {
  return new BrutalistError('CONFIG_INVALID', `${name} must be ${expectation}, got ${describe(value)}`, {
    data: { option: name },
  });
}

/** An http(s) URL with a host and no embedded credentials. */
function isEndpointUrl(value: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return false;
  }
  return (
    (parsed.protocol === 'http:' || parsed.protocol === 'https:') &&
    parsed.hostname !== '' &&
    parsed.username === '' &&
    parsed.password === ''
  );
}

function validateOne(name: OptionName, value: unknown): unknown {
  const spec = OPTIONS[name];
  switch (spec.kind) {
    case 'int': {
      const min = spec.min ?? Number.MIN_SAFE_INTEGER;
      const max = spec.max ?? Number.MAX_SAFE_INTEGER;
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        throw invalid(name, `an integer between ${min} and ${max}`, value);
      }
      return value;
    }
    case 'string': {
      if (typeof value !== 'string') throw invalid(name, 'a string', value);
      const choices = 'choices' in spec ? spec.choices : undefined;
      if (choices && !choices.includes(value)) throw invalid(name, `one of ${choices.join('|')}`, value);
      if ('format' in spec && spec.format === 'url' && value !== '' && !isEndpointUrl(value)) {
        // The value is not echoed: a URL may carry a token.
        throw new BrutalistError(
          'CONFIG_INVALID',
          `${name} must be an http(s) URL without user:password (put keys in the API key variable)`,
          { data: { option: name } },
        );
      }
      return value;
    }
    case 'bool':
      if (typeof value !== 'boolean') throw invalid(name, 'true or false', value);
      return value;
    case 'list': {
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) {
        throw invalid(name, 'a list of strings', value);
      }
      const choices = 'choices' in spec ? spec.choices : undefined;
      if (choices) {
        const bad = value.find((v) => !choices.includes(v));
        if (bad !== undefined) throw invalid(name, `a list of ${choices.join('|')}`, bad);
        if (new Set(value).size !== value.length || value.length === 0) {
          throw invalid(name, `a non-empty list of distinct ${choices.join('|')}`, value);
        }
      }
      return Object.freeze([...value]);
    }
  }
}

/** Parses one env string into the option's type; list options split on commas (roots on the path delimiter). */
function fromEnv(name: OptionName, raw: string): unknown {
  const spec = OPTIONS[name];
  if (spec.kind === 'int') {
    const trimmed = raw.trim();
    return /^-?\d+$/.test(trimmed) ? Number(trimmed) : raw;
  }
  if (spec.kind === 'bool') {
    const lower = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(lower)) return true;
    if (['0', 'false', 'no', 'off'].includes(lower)) return false;
    return raw;
  }
  if (spec.kind === 'list') {
    const sep = name === 'roots' ? delimiter : ',';
    return raw
      .split(sep)
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }
  return raw;
}

/** The default config file: $BRUTALIST_CONFIG, else $XDG_CONFIG_HOME/brutalist-mcp/config.json (if present). */
export function defaultConfigPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return env.BRUTALIST_CONFIG || join(base, 'brutalist-mcp', 'config.json');
}

/** Reads a JSON config file. A missing default file is fine; a missing explicit file is an error. */
export function readConfigFile(path: string, required: boolean): ConfigInput {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (!required && (err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new BrutalistError('CONFIG_INVALID', 'The config file could not be read.', { cause: err });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new BrutalistError('CONFIG_INVALID', 'The config file is not valid JSON.', { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BrutalistError('CONFIG_INVALID', 'The config file must hold a JSON object.');
  }
  return parsed as ConfigInput;
}

/**
 * Resolution order, later wins: defaults < config file < env (BRUTALIST_*) < overrides.
 * Unknown keys in the file are rejected so typos do not silently fall back to defaults.
 */
export function resolveConfig(
  options: { env?: NodeJS.ProcessEnv; file?: ConfigInput; overrides?: ConfigInput } = {},
): Config {
  const env = options.env ?? {};
  const file = options.file ?? {};
  for (const key of Object.keys(file)) {
    if (!Object.hasOwn(OPTIONS, key)) {
      throw new BrutalistError('CONFIG_INVALID', `unknown config option ${JSON.stringify(key)}`, {
        data: { option: key },
      });
    }
  }
  const out: Record<string, unknown> = {};
  for (const name of Object.keys(OPTIONS) as OptionName[]) {
    const spec = OPTIONS[name];
    let value: unknown = spec.default;
    if (file[name] !== undefined) value = file[name];
    const raw = env[spec.env];
    if (raw !== undefined && raw !== '') value = fromEnv(name, raw);
    if (options.overrides?.[name] !== undefined) value = options.overrides[name];
    out[name] = validateOne(name, value);
  }
  checkMessageFitsContext(out as Config);
  return Object.freeze(out) as Config;
}

/** Worst-case UTF-8 bytes of one UTF-16 character, and room for the other arguments and the JSON-RPC envelope. */
export const BYTES_PER_CONTEXT_CHAR = 3;
export const MESSAGE_OVERHEAD_BYTES = 1024 * 1024;

/** A context the tools accept (maxContextChars) must fit in a message the transport reads (maxMessageBytes). */
function checkMessageFitsContext(config: Config): void {
  const needed = config.maxContextChars * BYTES_PER_CONTEXT_CHAR + MESSAGE_OVERHEAD_BYTES;
  if (config.maxMessageBytes < needed) {
    throw new BrutalistError(
      'CONFIG_INVALID',
      `maxMessageBytes must be at least maxContextChars * ${BYTES_PER_CONTEXT_CHAR} + ${MESSAGE_OVERHEAD_BYTES} = ${needed} so that a context of maxContextChars characters can be read, got ${config.maxMessageBytes}; raise maxMessageBytes or lower maxContextChars`,
      { data: { option: 'maxMessageBytes' } },
    );
  }
}

/** Config for a server process: env + the config file (explicit via BRUTALIST_CONFIG, or the default location). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides?: ConfigInput): Config {
  const file = readConfigFile(defaultConfigPath(env), Boolean(env.BRUTALIST_CONFIG));
  return resolveConfig({ env, file, ...(overrides ? { overrides } : {}) });
}
