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

/** Redacts a request's text fields when `enabled`; off (redactInputSecrets false): unchanged, zero counts. */
export type InputRedaction<A> = (
  args: A,
  sanitizer: CritiqueSanitizer,
  enabled: boolean,
) => { args: A; redacted: RedactedInputCounts };

function inputRedaction<A>(clean: (r: Redactor, args: A) => A): InputRedaction<A> {
  return (args, sanitizer, enabled) => {
    if (!enabled) return { args, redacted: NO_REDACTED_INPUT };
    const r = new Redactor(sanitizer);
    return { args: clean(r, args), redacted: r.counts };
  };
}

/**
 * `context`, the domain fields and, for abstract domains, the `target` title are redacted. A filesystem target
 * is a path, never sent as text, and must stay resolvable.
 */
export const redactRoastInput = inputRedaction<NewRoastArgs>((r, args) => {
  const abstract = getDomain(args.domain).kind === 'abstract';
  const fields: Record<string, FieldValue> = {};
  for (const [name, value] of Object.entries(args.fields)) fields[name] = r.field(value);
  return {
    ...args,
    ...(args.context === undefined ? {} : { context: r.text(args.context) }),
    ...(abstract && args.target !== undefined ? { target: r.text(args.target) } : {}),
    fields,
  };
});

/** The debate's topic, both positions and its context. */
export const redactDebateInput = inputRedaction<NewDebateArgs>((r, args) => ({
  ...args,
  topic: r.text(args.topic),
  proPosition: r.text(args.proPosition),
  conPosition: r.text(args.conPosition),
  ...(args.context === undefined ? {} : { context: r.text(args.context) }),
}));
