/** Builds one frozen config from an option table's defaults, an optional JSON config file, env vars and overrides. */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';
import { BrutalistError } from '../errors/index.js';
import { type ConfigOf, type OPTIONS, type OptionTable, optionNames, schemaOf } from './options.js';
import { invalidOption, settleRules } from './rules.js';
import { HIDE_VALUE, type OptionSpec } from './spec.js';

/** Values given for a table's options (from a file or overrides), not yet checked. */
export type ConfigInputOf<T extends OptionTable> = { [K in keyof T]?: unknown };

/** The value a schema issue points at: the option's value, or the list item at the issue's path. */
function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let at = value;
  for (const key of path) {
    if (typeof at !== 'object' || at === null) break;
    at = Reflect.get(at, key);
  }
  return at;
}

/**
 * CONFIG_INVALID for the first schema issue, in table order; a URL option's value and a secret option's value
 * (even one of the wrong type, e.g. a number for cursorSecret) are never echoed.
 */
function fromIssue(
  issue: z.core.$ZodIssue,
  input: Readonly<Record<string, unknown>>,
  table: OptionTable,
): BrutalistError {
  const [name, ...rest] = issue.path;
  const option = String(name);
  const hidden = (issue.code === 'custom' && issue.params?.[HIDE_VALUE]) || table[option]?.secret;
  if (hidden) {
    return new BrutalistError('CONFIG_INVALID', `${option} must be ${issue.message}`, { data: { option } });
  }
  return invalidOption(option, issue.message, valueAt(input[option], rest));
}

/** Parses one env string into the option's type; list options split on their separator (default a comma). */
function fromEnv(spec: OptionSpec<unknown>, raw: string): unknown {
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
    return raw
      .split(spec.separator ?? ',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
  }
  return raw;
}

function isJsonObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The default config file: $BRUTALIST_CONFIG, else $XDG_CONFIG_HOME/brutalist-mcp/config.json (if present). */
export function defaultConfigPath(env: NodeJS.ProcessEnv): string {
  const base = env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return env.BRUTALIST_CONFIG || join(base, 'brutalist-mcp', 'config.json');
}

/** Reads a JSON config file. A missing default file is fine; a missing explicit file is an error. */
export function readConfigFile(path: string, required: boolean): Readonly<Record<string, unknown>> {
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
  if (!isJsonObject(parsed))
    throw new BrutalistError('CONFIG_INVALID', 'The config file must hold a JSON object.');
  return parsed;
}

/** An option table the resolver can settle: it holds every option below the critics (the rules read those). */
export type ResolvableTable = typeof OPTIONS & OptionTable;

/** Keys that are not options of `table`: rejected so typos do not silently fall back to defaults. */
function rejectUnknown(table: OptionTable, given: Readonly<Record<string, unknown>> | undefined): void {
  for (const key of Object.keys(given ?? {})) {
    if (!Object.hasOwn(table, key)) {
      throw new BrutalistError('CONFIG_INVALID', `unknown config option ${JSON.stringify(key)}`, {
        data: { option: key },
      });
    }
  }
}

/**
 * Resolution order, later wins: defaults < config file < env (BRUTALIST_*) < overrides; then the rules between
 * options (rules.ts). Unknown keys in the file or the overrides are rejected.
 */
export function resolveOptions<T extends ResolvableTable>(
  table: T,
  options: {
    env?: NodeJS.ProcessEnv;
    file?: Readonly<Record<string, unknown>>;
    overrides?: ConfigInputOf<T>;
  } = {},
): ConfigOf<T> {
  const env = options.env ?? {};
  const file = options.file ?? {};
  rejectUnknown(table, file);
  rejectUnknown(table, options.overrides);
  const input: Record<string, unknown> = {};
  const given = new Set<string>();
  for (const name of optionNames(table)) {
    const spec: OptionSpec<unknown> = table[name]!;
    let value: unknown = spec.default;
    const raw = env[spec.env];
    const sources = [
      file[name],
      raw !== undefined && raw !== '' ? fromEnv(spec, raw) : undefined,
      options.overrides?.[name],
    ];
    for (const source of sources) {
      if (source === undefined) continue;
      value = source;
      given.add(name);
    }
    input[name] = value;
  }
  const parsed = schemaOf(table).parse(input);
  if (!parsed.success) {
    const [first] = parsed.issues;
    throw first ? fromIssue(first, input, table) : new BrutalistError('CONFIG_INVALID');
  }
  return Object.freeze(settleRules(parsed.data, given));
}

/** `table`'s config for a server process: env + the config file (explicit via BRUTALIST_CONFIG, or the default). */
export function loadOptions<T extends ResolvableTable>(
  table: T,
  env: NodeJS.ProcessEnv = process.env,
  overrides?: ConfigInputOf<T>,
): ConfigOf<T> {
  const file = readConfigFile(defaultConfigPath(env), Boolean(env.BRUTALIST_CONFIG));
  return resolveOptions(table, { env, file, ...(overrides ? { overrides } : {}) });
}
