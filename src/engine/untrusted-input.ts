/** Secrets out of the client's text fields before any critic (a third-party vendor) sees them; counts kept. */
import { getDomain } from '../domains/index.js';
import {
  addCounts,
  type CritiqueSanitizer,
  NO_REDACTED_INPUT,
  type RedactedInputCounts,
} from '../security/index.js';
import type { NewDebateArgs, NewRoastArgs } from './types.js';

type FieldValue = NewRoastArgs['fields'][string];

class Redactor {
  counts: RedactedInputCounts = NO_REDACTED_INPUT;
  constructor(private readonly sanitizer: CritiqueSanitizer) {}

  text(value: string): string;
  text(value: string | undefined): string | undefined;
  text(value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    const out = this.sanitizer.input(value);
    this.counts = addCounts(this.counts, out.counts);
    return out.text;
  }

  field(value: FieldValue): FieldValue {
    if (typeof value === 'string') return this.text(value);
    if (Array.isArray(value)) return value.map((item: string) => this.text(item));
    return value;
  }
}

/**
 * `context`, the domain fields and, for abstract domains, the `target` title are redacted. A filesystem target
 * is a path, never sent as text, and must stay resolvable. Off (redactInputSecrets false): unchanged, zero counts.
 */
export function redactRoastInput(
  args: NewRoastArgs,
  sanitizer: CritiqueSanitizer,
  enabled: boolean,
): { args: NewRoastArgs; redacted: RedactedInputCounts } {
  if (!enabled) return { args, redacted: NO_REDACTED_INPUT };
  const r = new Redactor(sanitizer);
  const abstract = getDomain(args.domain).kind === 'abstract';
  const fields: Record<string, FieldValue> = {};
  for (const [name, value] of Object.entries(args.fields)) fields[name] = r.field(value);
  const clean: NewRoastArgs = {
    ...args,
    ...(args.context === undefined ? {} : { context: r.text(args.context) }),
    ...(abstract && args.target !== undefined ? { target: r.text(args.target) } : {}),
    fields,
  };
  return { args: clean, redacted: r.counts };
}

/** The debate's topic, both positions and its context. */
export function redactDebateInput(
  args: NewDebateArgs,
  sanitizer: CritiqueSanitizer,
  enabled: boolean,
): { args: NewDebateArgs; redacted: RedactedInputCounts } {
  if (!enabled) return { args, redacted: NO_REDACTED_INPUT };
  const r = new Redactor(sanitizer);
  const clean: NewDebateArgs = {
    ...args,
    topic: r.text(args.topic),
    proPosition: r.text(args.proPosition),
    conPosition: r.text(args.conPosition),
    ...(args.context === undefined ? {} : { context: r.text(args.context) }),
  };
  return { args: clean, redacted: r.counts };
}
