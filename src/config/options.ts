/**
 * The options every layer reads (name, env variable, default, meaning, zod schema), assembled from the tables per
 * area, and the machinery any option table shares: its schema, its Config type, its printable form. The critic
 * vendors' own options are declared by their adapters and joined to these where the app is composed (ADR 0034).
 */
import { z } from 'zod';
import { CRITIC_OPTIONS } from './options-critics.js';
import { EVIDENCE_OPTIONS } from './options-evidence.js';
import { FINDINGS_OPTIONS } from './options-findings.js';
import { GUARD_OPTIONS } from './options-guard.js';
import { HTTP_OPTIONS } from './options-http.js';
import { MEMORY_OPTIONS } from './options-memory.js';
import { OBSERVABILITY_OPTIONS } from './options-observability.js';
import { PROCESS_OPTIONS } from './options-process.js';
import { QUEUE_OPTIONS } from './options-queue.js';
import { RESILIENCE_OPTIONS } from './options-resilience.js';
import { REVIEW_OPTIONS } from './options-review.js';
import { ROUTED_OPTIONS } from './options-routed.js';
import { STATE_OPTIONS } from './options-state.js';
import { TASK_OPTIONS } from './options-tasks.js';
import { USAGE_OPTIONS } from './options-usage.js';
import type { OptionSpec } from './spec.js';

/** Any table of options, keyed by option name (the file key). */
// biome-ignore lint/suspicious/noExplicitAny: a table holds specs of every value type; each keeps its own via ConfigOf.
export type OptionTable = { readonly [name: string]: OptionSpec<any> };

/** The resolved, frozen values of a table: each option's type comes from its schema (choices are literal unions). */
export type ConfigOf<T extends OptionTable> = {
  readonly [K in keyof T]: T[K] extends OptionSpec<infer V> ? V : never;
};

/** In README order (after the critics' own options). */
export const OPTIONS = {
  ...CRITIC_OPTIONS,
  ...ROUTED_OPTIONS,
  ...PROCESS_OPTIONS,
  ...STATE_OPTIONS,
  ...MEMORY_OPTIONS,
  ...TASK_OPTIONS,
  ...FINDINGS_OPTIONS,
  ...RESILIENCE_OPTIONS,
  ...QUEUE_OPTIONS,
  ...HTTP_OPTIONS,
  ...GUARD_OPTIONS,
  ...OBSERVABILITY_OPTIONS,
  ...REVIEW_OPTIONS,
  ...USAGE_OPTIONS,
  ...EVIDENCE_OPTIONS,
} as const;

export type OptionName = keyof typeof OPTIONS;

/** The options below the critics (every option but the vendors'); the app's Config adds those (engine/config.ts). */
export type Config = ConfigOf<typeof OPTIONS>;

/** Every option name of `table`, in table order (Object.keys is typed string[]; these are exactly its keys). */
export function optionNames<T extends OptionTable>(table: T): readonly (keyof T & string)[] {
  return Object.freeze(Object.keys(table) as (keyof T & string)[]);
}

/** Every option name, in table order. */
export const OPTION_NAMES = optionNames(OPTIONS);

/** What a table's schema says of an input: its values, or the issues in table order. */
export type OptionsParse<T extends OptionTable> =
  | { readonly success: true; readonly data: ConfigOf<T> }
  | { readonly success: false; readonly issues: readonly z.core.$ZodIssue[] };

/** One schema over all options of `table`, each checked on its own (cross-field rules: rules.ts). */
export function schemaOf<T extends OptionTable>(table: T): { parse(input: unknown): OptionsParse<T> } {
  const schema = z.object(
    Object.fromEntries(Object.entries(table).map(([name, spec]) => [name, spec.schema])),
  );
  return {
    parse(input) {
      const parsed = schema.safeParse(input);
      if (!parsed.success) return { success: false, issues: parsed.error.issues };
      // The object schema holds exactly the table's specs, so its output has ConfigOf<T>'s keys and value types.
      const data: unknown = parsed.data;
      return { success: true, data: data as ConfigOf<T> };
    },
  };
}

/** The schema of the options below the critics. */
export const configSchema = schemaOf(OPTIONS);

export const SECRET_SHOWN_AS = '<set>';

/** The config as `brutalist-mcp config` prints it: secret options as `<set>`, a URL's password as `<set>`. */
export function printableOptions<T extends OptionTable>(
  table: T,
  config: ConfigOf<T>,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const name of optionNames(table)) {
    const spec: OptionSpec<unknown> = table[name]!;
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
