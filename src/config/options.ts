/**
 * Every configurable value in one table (name, env variable, default, meaning, zod schema), assembled from the
 * tables per area; the Config type is inferred from the schemas, and the README's config table is generated from it.
 */
import { z } from 'zod';
import { CRITIC_OPTIONS } from './options-critics.js';
import { GUARD_OPTIONS } from './options-guard.js';
import { HTTP_OPTIONS } from './options-http.js';
import { OBSERVABILITY_OPTIONS } from './options-observability.js';
import { PROCESS_OPTIONS } from './options-process.js';
import { RESILIENCE_OPTIONS } from './options-resilience.js';
import { STATE_OPTIONS } from './options-state.js';
import type { OptionSpec } from './spec.js';

/** In README order. */
export const OPTIONS = {
  ...CRITIC_OPTIONS,
  ...PROCESS_OPTIONS,
  ...STATE_OPTIONS,
  ...RESILIENCE_OPTIONS,
  ...HTTP_OPTIONS,
  ...GUARD_OPTIONS,
  ...OBSERVABILITY_OPTIONS,
} as const;

export type OptionName = keyof typeof OPTIONS;

/** Every option name, in table order (Object.keys is typed string[]; these are exactly OPTIONS' keys). */
export const OPTION_NAMES = Object.freeze(Object.keys(OPTIONS) as OptionName[]);

type Shape = { readonly [K in OptionName]: (typeof OPTIONS)[K]['schema'] };

/** One schema over all options, each checked on its own (cross-field rules: rules.ts). */
export const configSchema = z.object(
  // Object.fromEntries loses the key-to-schema pairing that the Shape type states.
  Object.fromEntries(Object.entries(OPTIONS).map(([name, spec]) => [name, spec.schema])) as Shape,
);

/** The resolved, frozen configuration; each option's type comes from its schema (choices are literal unions). */
export type Config = Readonly<z.infer<typeof configSchema>>;

export const SECRET_SHOWN_AS = '<set>';

/** The config as `brutalist-mcp config` prints it: secret options as `<set>`, a URL's password as `<set>`. */
export function printableConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const name of OPTION_NAMES) {
    const spec: OptionSpec<unknown> = OPTIONS[name];
    const value = config[name];
    if (!spec.secret || typeof value !== 'string' || value === '') continue;
    out[name] = spec.secret === 'url-password' ? withoutPassword(value) : SECRET_SHOWN_AS;
  }
  return out;
}

function withoutPassword(value: string): string {
  const userinfo = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^:@/]*:)([^@/]*)@/.exec(value);
  if (userinfo) return `${userinfo[1]}${SECRET_SHOWN_AS}@${value.slice(userinfo[0].length)}`;
  // No password in user:password@ form. A URL that does not parse could hold anything: nothing of it is shown.
  return URL.canParse(value) ? value : SECRET_SHOWN_AS;
}
