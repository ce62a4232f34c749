/**
 * agy's answer as a terminal shows it: plain text written to a pseudo-terminal, with its control output (colours,
 * cursor moves, spinner lines redrawn over `\r`) removed, and its refusals, which arrive on stdout with exit 0.
 */
import { StringDecoder } from 'node:string_decoder';
import { ByteText } from './byte-text.js';
import { outputInvalid } from './classify.js';
import type { OutputParser, StreamLimits } from './stream.js';
import type { ParsedOutput } from './types.js';

/** A signed-out agy: "Authentication required. …" (then a sign-in URL nobody headless can open). */
export const AUTH_LINE_RE = /^Authentication required\./;
/** "⚠ Individual quota reached for <model>. Resets in 2h3m4s" (any of the h/m/s parts). */
export const QUOTA_LINE_RE =
  /^(?:⚠\uFE0F?\s*)?Individual quota reached\b.*?(?:Resets in ((?:\d+h)?(?:\d+m)?(?:\d+s)?))?\s*\.?$/;
/** An unknown `--model` label: "Error: model "X" not found …". */
export const MODEL_LINE_RE = /^Error: model\b.*\bnot found\b/i;

/** Refusals are short: a long answer that happens to start with such a line is the model's prose. */
const REFUSAL_MAX_CHARS = 2_000;
/** An escape sequence cut at a chunk's end is held until the next one; longer ones are not sequences. */
const MAX_PENDING_ESCAPE = 256;

/** "2h3m4s" → milliseconds; undefined when it names no duration. */
export function durationMs(text: string | undefined): number | undefined {
  const m = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text ?? '');
  if (!m || !text) return undefined;
  const [h, min, s] = [m[1], m[2], m[3]].map((v) => Number(v ?? 0));
  return ((h ?? 0) * 3600 + (min ?? 0) * 60 + (s ?? 0)) * 1000;
}

// CSI (ESC [ … final), OSC (ESC ] … BEL or ST), other two- and three-byte escapes, then C1 CSI (0x9B).
const ESCAPE_RE =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal control output is what this removes.
  /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)|\u001b[ -/]*[0-~]|\u009b[0-?]*[ -/]*[@-~]/g;
/** Erase in line (ESC [ K, 1K, 2K): spinners clear their line with it. Read as ERASE_LINE below. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: see ESCAPE_RE.
const ERASE_LINE_RE = /^(?:\u001b\[|\u009b)[0-2]?K$/;
/** What an erase-in-line becomes between the escape filter and the line model (a NUL never survives as text). */
const ERASE_LINE = '\u0000';

/** Terminal text without escape sequences, an erase-in-line kept as ERASE_LINE. */
function withoutEscapes(text: string): string {
  return text
    .replaceAll(ERASE_LINE, '')
    .replace(ESCAPE_RE, (seq) => (ERASE_LINE_RE.test(seq) ? ERASE_LINE : ''));
}

/** The characters the line model acts on or drops: C0 controls but tab, and DEL (runs between them are text). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: these are what it finds.
const CONTROL_RE = /[\u0000-\u0008\u000a-\u001f\u007f]/g;

/** A chunk's tail that may be the start of an escape sequence completed by the next chunk. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: see ESCAPE_RE.
const OPEN_ESCAPE_RE = /(?:\u001b(?:\[[0-?]*[ -/]*|\][^\u0007\u001b]*\u001b?|[ -/]*)?|\u009b[0-?]*[ -/]*)$/;

/**
 * Plain text from terminal output, as a terminal would leave it: `\r\n` is a newline, text after a lone `\r`
 * replaces the line (spinners redraw that way; a line is not overwritten in part), a backspace removes one
 * character, other control characters are dropped.
 */
class TerminalLines {
  private readonly done: string[] = [];
  private line = '';
  private doneChars = 0;
  /** A `\r` whose meaning the next character decides: a line ending before `\n`, else the line starts over. */
  private returned = false;

  write(text: string): void {
    let start = 0;
    CONTROL_RE.lastIndex = 0;
    for (let m = CONTROL_RE.exec(text); m !== null; m = CONTROL_RE.exec(text)) {
      if (m.index > start) this.plain(text.slice(start, m.index));
      this.control(m[0]);
      start = m.index + 1;
    }
    if (start < text.length) this.plain(text.slice(start));
  }

  private plain(run: string): void {
    if (this.returned) this.line = '';
    this.returned = false;
    this.line += run;
  }

  private control(ch: string): void {
    if (ch === '\n') {
      this.done.push(this.line);
      this.doneChars += this.line.length + 1;
      this.line = '';
    } else if (ch !== '\r' && this.returned) {
      this.line = '';
    }
    this.returned = ch === '\r';
    if (ch === ERASE_LINE) this.line = '';
    else if (ch === '\b') this.line = this.line.slice(0, -1);
  }

  /** Characters kept so far (a bound on the bytes, within a factor of three). */
  chars(): number {
    return this.doneChars + this.line.length;
  }

  text(): string {
    return [...this.done, this.line].join('\n');
  }
}

/** The stdout sink of one agy run: bounded, control output removed as it arrives. */
export class AgyTerminalText implements OutputParser {
  private readonly decoder = new StringDecoder('utf8');
  private readonly lines = new TerminalLines();
  private pending = '';
  private full = false;

  constructor(private readonly limits: StreamLimits) {}

  /** The plain text of a whole terminal output (a `--version` line, a recording). */
  static clean(output: string): string {
    const lines = new TerminalLines();
    lines.write(withoutEscapes(output));
    return lines.text();
  }

  push(chunk: Buffer): boolean {
    if (this.full) return false;
    let text = this.pending + this.decoder.write(chunk);
    const open = OPEN_ESCAPE_RE.exec(text);
    this.pending = '';
    if (open && open[0].length > 0 && open[0].length <= MAX_PENDING_ESCAPE) {
      this.pending = open[0];
      text = text.slice(0, open.index);
    }
    this.lines.write(withoutEscapes(text));
    // Three bytes per character at most: a cheap check first, the exact count only near the cap.
    if (this.lines.chars() * 3 > this.limits.maxAnswerBytes) {
      this.full = Buffer.byteLength(this.lines.text(), 'utf8') > this.limits.maxAnswerBytes;
    }
    return !this.full;
  }

  /** Characters of text kept (close enough to bytes for a budget's estimate; never used as the cap). */
  answerBytes(): number {
    return this.lines.chars();
  }

  finish(): ParsedOutput {
    this.lines.write(withoutEscapes(this.pending + this.decoder.end()));
    this.pending = '';
    const text = trimBlankLines(this.lines.text());
    const refusal = text.length <= REFUSAL_MAX_CHARS ? refusalOf(text) : undefined;
    if (refusal) return { text: '', error: refusal };
    if (text.length === 0) throw outputInvalid('agy');
    // At most maxAnswerBytes of answer, cut between characters.
    const kept = new ByteText(this.limits.maxAnswerBytes);
    kept.appendString(text);
    return { text: kept.toString() };
  }
}

/** Removes trailing spaces of each line and blank lines at both ends. */
function trimBlankLines(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
    .replace(/^\n+|\n+$/g, '');
}

/** A refusal agy printed instead of an answer (its first line), with the status it stands for. */
function refusalOf(text: string): ParsedOutput['error'] {
  const first = text.split('\n', 1)[0]?.trim() ?? '';
  if (AUTH_LINE_RE.test(first)) return { message: first, status: 401 };
  const quota = QUOTA_LINE_RE.exec(first);
  if (quota) {
    const retryAfterMs = durationMs(quota[1]);
    return { message: first, status: 429, ...(retryAfterMs ? { retryAfterMs } : {}) };
  }
  if (MODEL_LINE_RE.test(first)) return { message: first };
  return undefined;
}
