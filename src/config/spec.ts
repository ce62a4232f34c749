/**
 * The shape of one option (env variable, default, meaning, zod schema) and the builders the option tables use;
 * each schema's messages are the "must be …" part of a CONFIG_INVALID error.
 */
import { z } from 'zod';

/** How an env string is read: ints as numbers, bools from yes/no words, lists split on a separator. */
export type OptionKind = 'int' | 'string' | 'list' | 'bool';

export interface OptionSpec<T> {
  readonly kind: OptionKind;
  readonly env: string;
  readonly default: T;
  readonly description: string;
  /** Validates a value from the file, env or overrides; its output type is the option's Config type. */
  readonly schema: z.ZodType<T>;
  /** Never printed (`brutalist-mcp config` shows `<set>`): the whole value, or only a URL's password. */
  readonly secret?: 'value' | 'url-password';
  /** Lists: what separates items in the env variable (default a comma). */
  readonly separator?: string;
}

/** A non-empty list of choices, kept as a tuple so the option's type is their literal union. */
export type Choices = readonly [string, ...string[]];

/** Marks a schema issue whose value must not be echoed in the error (it may carry a token). */
export const HIDE_VALUE = 'hideValue';

export const SECOND = 1000;
export const MINUTE = 60 * SECOND;
export const MIB = 1024 * 1024;

/** An integer option with inclusive bounds. */
export function int(
  env: string,
  def: number,
  min: number,
  max: number,
  description: string,
): OptionSpec<number> {
  const error = `an integer between ${min} and ${max}`;
  const schema = z.number({ error }).int({ error }).min(min, { error }).max(max, { error });
  return { kind: 'int', env, default: def, description, schema };
}

export function str(env: string, def: string, description: string): OptionSpec<string> {
  return { kind: 'string', env, default: def, description, schema: z.string({ error: 'a string' }) };
}

export function bool(env: string, def: boolean, description: string): OptionSpec<boolean> {
  return { kind: 'bool', env, default: def, description, schema: z.boolean({ error: 'true or false' }) };
}

/** One of a fixed set of strings; the option's type is the literal union of `choices`. */
export function choice<const C extends Choices>(
  env: string,
  def: C[number],
  description: string,
  choices: C,
): OptionSpec<C[number]> {
  const schema = z.enum(choices, { error: `one of ${choices.join('|')}` });
  return { kind: 'string', env, default: def, description, schema };
}

/** A list of free strings (frozen once resolved); in env, items are split on `separator`. */
export function list(
  env: string,
  def: readonly string[],
  description: string,
  separator = ',',
): OptionSpec<readonly string[]> {
  const error = 'a list of strings';
  const schema = z.array(z.string({ error }), { error }).readonly();
  return { kind: 'list', env, default: def, description, schema, separator };
}

/** A non-empty list of distinct choices, in order of preference; its items are the literal union of `choices`. */
export function ranking<const C extends Choices>(
  env: string,
  def: readonly C[number][],
  description: string,
  choices: C,
): OptionSpec<readonly C[number][]> {
  const names = choices.join('|');
  const whole = `a non-empty list of distinct ${names}`;
  const schema = z
    .array(z.enum(choices, { error: `a list of ${names}` }), { error: 'a list of strings' })
    .min(1, { error: whole })
    .refine((items) => new Set(items).size === items.length, { error: whole })
    .readonly();
  return { kind: 'list', env, default: def, description, schema };
}

/** A list of `key=choice` items (the key free, non-empty); each item is checked, the bad one shown. */
export function assignments<const C extends Choices>(
  env: string,
  def: readonly string[],
  description: string,
  keyName: string,
  choices: C,
): OptionSpec<readonly string[]> {
  const error = `a list of ${keyName}=${choices.join('|')} items`;
  const item = z.string({ error }).refine((text) => assignmentOf(text, choices) !== undefined, { error });
  return { kind: 'list', env, default: def, description, schema: z.array(item, { error }).readonly() };
}

/** The key and choice of a `key=choice` item (split at the last `=`), or undefined when it is not one. */
export function assignmentOf<C extends Choices>(
  text: string,
  choices: C,
): { readonly key: string; readonly value: C[number] } | undefined {
  const eq = text.lastIndexOf('=');
  const key = text.slice(0, eq).trim();
  const value = text.slice(eq + 1).trim();
  const known = choices.find((c) => c === value);
  return eq > 0 && key.length > 0 && known !== undefined ? { key, value: known } : undefined;
}

/** Empty, or an http(s) URL with a host and no embedded credentials; the value is never echoed in errors. */
export function url(env: string, description: string): OptionSpec<string> {
  const schema = z.string({ error: 'a string' }).refine((value) => value === '' || isEndpointUrl(value), {
    error: 'an http(s) URL without user:password (put keys in the API key variable)',
    params: { [HIDE_VALUE]: true },
  });
  return { kind: 'string', env, default: '', description, schema };
}

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
