/** Short constructors for the catalog's domain fields: most are one short text with a description. */
import type { DomainField } from './catalog.js';

/** A text field bounded by maxFieldChars. */
export const shortText = (name: string, description: string): DomainField => ({
  name,
  description,
  maxChars: 'short',
});

/** One of a closed set of words (shown inline in the prompt, like a number). */
export const oneOf = (
  name: string,
  description: string,
  choices: readonly [string, ...string[]],
): DomainField => ({ name, description, choices });

/** A text field bounded by maxContextChars (material, not a label). */
export const longText = (name: string, description: string): DomainField => ({
  name,
  description,
  maxChars: 'long',
});
