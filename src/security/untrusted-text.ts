/** Untrusted text in and out: critic answers lose terminal controls and secrets; client input loses secrets. */
import { redactSecretShapes, removeEnvValues, secretEnvValues } from './secrets.js';

/** What sanitizeCritique removed, per kind; every field a non-negative integer. */
export interface SanitizedCounts {
  /** C0/C1 control characters (other than newline and tab) and DEL. */
  readonly controls: number;
  /** ANSI escape sequences: CSI (colours, cursor moves), OSC (titles, OSC 52 clipboard writes), DCS, SOS, PM, APC. */
  readonly escapes: number;
  /** Bidirectional embedding, override and isolate controls (U+202A-202E, U+2066-2069). */
  readonly bidi: number;
  /** Secret-shaped strings (tokens, keys, PEM blocks, JWTs, credentials in URLs and assignments). */
  readonly secrets: number;
  /** Values of the server's own credential env variables. */
  readonly envValues: number;
}

/** What redactInputSecrets removed from the client's text before a critic saw it. */
export interface RedactedInputCounts {
  readonly secrets: number;
  readonly envValues: number;
}

export const NO_SANITIZED: SanitizedCounts = Object.freeze({
  controls: 0,
  escapes: 0,
  bidi: 0,
  secrets: 0,
  envValues: 0,
});

export const NO_REDACTED_INPUT: RedactedInputCounts = Object.freeze({ secrets: 0, envValues: 0 });

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const ESC = 0x1b;
const C1_CSI = 0x9b;
// Introducers of control strings, whose payload runs to a string terminator: DCS, SOS, OSC, PM, APC.
const C1_STRINGS = new Set([0x90, 0x98, 0x9d, 0x9e, 0x9f]);
const ESC_STRINGS = new Set([0x50, 0x58, 0x5d, 0x5e, 0x5f]); // ESC P, X, ], ^, _
// Anything that ends (or, for ESC, interrupts) a control string, as terminals treat them.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const STRING_END = /[\x07\x1b\x9c]/g;

function isBidi(c: number): boolean {
  return (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/** Text that needs no work: printable ASCII, newline, tab, and non-control, non-bidi characters above U+009F. */
function isPlain(c: number): boolean {
  if (c >= 0x20) return c < 0x7f || (c > 0x9f && !isBidi(c));
  return c === 0x0a || c === 0x09;
}

/** One forward scan for string terminators, reused while it lies ahead: every character is searched once. */
class TerminatorFinder {
  private from = -1;
  private at = -1;
  constructor(private readonly text: string) {}
  next(index: number): number {
    if (this.from < 0 || index < this.from || (this.at >= 0 && this.at < index)) {
      STRING_END.lastIndex = index;
      this.at = STRING_END.exec(this.text)?.index ?? -1;
      this.from = index;
    }
    return this.at;
  }
}

/** End of a CSI sequence whose parameters start at `i`: parameter and intermediate bytes, then one final byte. */
function csiEnd(text: string, i: number): number {
  let j = i;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c >= 0x20 && c <= 0x3f) j++;
    else return c >= 0x40 && c <= 0x7e ? j + 1 : j;
  }
  return j;
}

/**
 * End of a control string whose payload starts at `i`: past BEL, ST (ESC \ or U+009C); before any other ESC.
 * Unterminated, only the introducer goes: the payload then is inert text, as no terminal reads it as a command.
 */
function stringEnd(text: string, i: number, finder: TerminatorFinder): number {
  const t = finder.next(i);
  if (t < 0) return i;
  const c = text.charCodeAt(t);
  if (c === ESC) return text.charCodeAt(t + 1) === 0x5c ? t + 2 : t;
  return t + 1; // BEL or U+009C
}

/** End of an escape sequence whose first byte after ESC is at `i`. */
function escapeEnd(text: string, i: number, finder: TerminatorFinder): number {
  if (i >= text.length) return i;
  const c = text.charCodeAt(i);
  if (c === 0x5b) return csiEnd(text, i + 1); // ESC [
  if (ESC_STRINGS.has(c)) return stringEnd(text, i + 1, finder);
  let j = i;
  while (j < text.length && text.charCodeAt(j) >= 0x20 && text.charCodeAt(j) <= 0x2f) j++; // intermediates
  if (j < text.length) {
    const f = text.charCodeAt(j);
    if (f >= 0x30 && f <= 0x7e) return j + 1; // ESC 7, ESC c (reset), ESC ( B ...
  }
  return j;
}

/**
 * Strips terminal controls in one linear scan: escape sequences whole, then C0/C1 controls (except `\n`, `\t`),
 * DEL and bidi controls. A `\r` right before `\n` is a line ending: dropped, not counted.
 */
export function stripTerminalControls(text: string, counts: Mutable<SanitizedCounts>): string {
  const parts: string[] = [];
  const finder = new TerminatorFinder(text);
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (isPlain(c)) {
      i++;
      continue;
    }
    if (i > start) parts.push(text.slice(start, i));
    let end = i + 1;
    if (c === ESC) {
      end = escapeEnd(text, i + 1, finder);
      counts.escapes++;
    } else if (c === C1_CSI) {
      end = csiEnd(text, i + 1);
      counts.escapes++;
    } else if (C1_STRINGS.has(c)) {
      end = stringEnd(text, i + 1, finder);
      counts.escapes++;
    } else if (isBidi(c)) {
      counts.bidi++;
    } else if (!(c === 0x0d && text.charCodeAt(i + 1) === 0x0a)) {
      counts.controls++;
    }
    i = end;
    start = end;
  }
  if (start === 0) return text;
  if (start < text.length) parts.push(text.slice(start));
  return parts.join('');
}

/** The critique sanitizer, prepared once per server with its env's credential values. */
export class CritiqueSanitizer {
  private readonly envValues: readonly string[];

  constructor(env: NodeJS.ProcessEnv) {
    this.envValues = secretEnvValues(env, { credentialsOnly: true });
  }

  /**
   * Makes a critic's answer safe to show and store: terminal controls out first (so an escape sequence cannot
   * split a secret and hide it), then the server's credential values, then secret shapes. Markdown, newlines
   * and length are kept; linear time.
   */
  critique(text: string): { text: string; counts: SanitizedCounts } {
    const counts: Mutable<SanitizedCounts> = { ...NO_SANITIZED };
    let out = stripTerminalControls(text, counts);
    out = removeEnvValues(out, this.envValues, (n) => {
      counts.envValues += n;
    });
    out = redactSecretShapes(out, {
      prose: true,
      onRedact: (n) => {
        counts.secrets += n;
      },
    });
    return { text: out, counts };
  }

  /** Secrets out of client text before a critic (a third-party vendor) sees it; nothing else changes. */
  input(text: string): { text: string; counts: RedactedInputCounts } {
    const counts: Mutable<RedactedInputCounts> = { ...NO_REDACTED_INPUT };
    const out = removeEnvValues(text, this.envValues, (n) => {
      counts.envValues += n;
    });
    const redacted = redactSecretShapes(out, {
      prose: true,
      onRedact: (n) => {
        counts.secrets += n;
      },
    });
    return { text: redacted, counts };
  }
}

/** Sums counts of the same kind (several critics, debate turns). */
export function addCounts<T extends object>(a: T, b: T): T {
  const out = { ...a } as Record<string, number>;
  for (const [k, v] of Object.entries(b)) out[k] = (out[k] ?? 0) + (v as number);
  return out as T;
}
