// The byte-level JSON-lines scanner: long strings decoded aside read exactly as JSON.parse reads them, whatever the
// chunking; the bound keeps whole characters; broken or over-long lines are skipped; ByteText keeps whole characters.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteText } from '../../src/critics/byte-text.js';
import { decodeInPlace, StringDecodeSink } from '../../src/critics/json-string.js';
import type { JsonObject } from '../../src/critics/jsonl.js';
import { JsonLineScanner, type ScannerLimits } from '../../src/critics/line-scanner.js';

interface Seen {
  readonly event: JsonObject;
  readonly text: string | undefined;
  readonly cut: boolean;
  /** Whether the value came as bytes (set aside), not as a string. */
  readonly aside: boolean;
}

/** Feeds `bytes` cut at `cuts`; records every line's `text` field as read through LineValues. */
function scan(bytes: Buffer, cuts: readonly number[], limits: ScannerLimits): Seen[] {
  const seen: Seen[] = [];
  const scanner = new JsonLineScanner(limits, (event, values) => {
    const t = values.text(event.text);
    const aside = typeof t === 'object';
    seen.push({ event, text: values.str(event.text), cut: aside && t.cut, aside });
  });
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    scanner.push(bytes.subarray(start, cut));
    start = cut;
  }
  scanner.end();
  return seen;
}

/** What a UTF-8 round trip makes of a string: lone surrogates become U+FFFD. */
const wellFormed = (s: string) => Buffer.from(s, 'utf8').toString('utf8');

/** JSON text of `s` with some characters written as \uXXXX escapes (pairs as two escapes), as some encoders do. */
function escapeSome(s: string, every: number): string {
  let out = '';
  let i = 0;
  for (const ch of s) {
    const plain = JSON.stringify(ch).slice(1, -1);
    out +=
      i++ % every === 0
        ? [...Array(ch.length).keys()]
            .map((k) => `\\u${ch.charCodeAt(k).toString(16).padStart(4, '0')}`)
            .join('')
        : plain;
  }
  return `"${out}"`;
}

const unlimited: ScannerLimits = {
  maxLineBytes: Number.POSITIVE_INFINITY,
  maxStringBytes: Number.POSITIVE_INFINITY,
};

const cutsOf = (length: number) =>
  fc
    .uniqueArray(fc.integer({ min: 0, max: Math.max(0, length) }), { maxLength: 12 })
    .map((c) => c.sort((a, b) => a - b));

describe('JsonLineScanner', () => {
  it('reads every string as JSON.parse does, set aside or not, whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 60 }),
        fc.integer({ min: 1, max: 5 }),
        // From 4: the keys here ("type", "text") stay in the line (a longer key would be set aside too).
        fc.integer({ min: 4, max: 8 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (text, every, longStringBytes, seed) => {
          const line = `{"type":"t","text":${escapeSome(text, every)},"n":1}\n`;
          const bytes = Buffer.from(line, 'utf8');
          const cuts = fc.sample(cutsOf(bytes.length), { seed, numRuns: 1 })[0]!;
          const [seen] = scan(bytes, cuts, { ...unlimited, longStringBytes });
          expect(seen?.text).toBe(wellFormed(text));
          expect(seen?.event.n).toBe(1);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('reads escaped quotes and backslashes fed one byte at a time, set aside or not', () => {
    const text = `"${'x'.repeat(9)}\\${'y'.repeat(9)}\\"`.repeat(5);
    const bytes = Buffer.from(`${JSON.stringify({ text })}\n`);
    const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
    for (const longStringBytes of [4, 1_000]) {
      const [seen] = scan(bytes, cuts, { ...unlimited, longStringBytes });
      expect([seen?.text, seen?.aside]).toEqual([text, longStringBytes === 4]);
    }
  });

  it('keeps at most maxStringBytes of a long string, cut between characters, and says it was cut', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 60 }),
        (text, maxStringBytes) => {
          const bytes = Buffer.from(`{"text":${escapeSome(text, 3)}}\n`, 'utf8');
          // The first character is always escaped (6 raw bytes or more), so the value is always set aside.
          const [seen] = scan(bytes, [7, 20], { ...unlimited, maxStringBytes, longStringBytes: 4 });
          const whole = Buffer.from(text, 'utf8');
          const kept = Buffer.from(seen?.text ?? '', 'utf8');
          expect(kept.length).toBeLessThanOrEqual(maxStringBytes);
          expect(whole.subarray(0, kept.length).equals(kept)).toBe(true);
          expect(seen?.cut).toBe(whole.length > maxStringBytes);
          // Nothing that would have fitted was dropped: the next character did not fit.
          if (seen?.cut) expect(kept.length + 4).toBeGreaterThan(maxStringBytes);
        },
      ),
    );
  });

  it('cuts before a character whose bytes came in two chunks when the bound falls inside it', () => {
    // The second U+0800 (3 bytes) is split by the cut at byte 20; the bound (6) falls after its first 2 bytes.
    const bytes = Buffer.from(`{"text":${escapeSome(' \u0800\u0800', 3)}}\n`, 'utf8');
    const [seen] = scan(bytes, [7, 20], { ...unlimited, maxStringBytes: 6, longStringBytes: 4 });
    expect([seen?.text, seen?.cut]).toEqual([' \u0800', true]);
  });

  it('skips a line whose long string holds an escape JSON does not allow, and reads the next line', () => {
    const bytes = Buffer.from(`{"text":"${'a'.repeat(50)}\\x"}\n{"text":"ok"}\n`);
    const seen = scan(bytes, [10, 30], { ...unlimited, longStringBytes: 8 });
    expect(seen.map((s) => s.text)).toEqual(['ok']);
  });

  it('skips a line past maxLineBytes, strings set aside included, without holding it', () => {
    const long = `{"text":"${'y'.repeat(5_000)}"}\n`;
    const bytes = Buffer.from(`${long}{"text":"short"}\n`);
    const cuts = Array.from({ length: 100 }, (_, i) => i * 60);
    const seen = scan(bytes, cuts, { maxLineBytes: 1_000, maxStringBytes: 10_000, longStringBytes: 16 });
    expect(seen.map((s) => s.text)).toEqual(['short']);
  });

  it('reads a string that starts like its placeholder as itself', () => {
    const bytes = Buffer.from(`${JSON.stringify({ text: '\u00000', other: '\u0000zz' })}\n`);
    const seen = scan(bytes, [3], unlimited);
    expect(seen[0]?.text).toBe('\u00000');
  });

  it('drops a line cut inside a string and reads a last line that has no newline', () => {
    const bytes = Buffer.from(`{"text":"cut\n{"text":"last"}`);
    expect(scan(bytes, [], unlimited).map((s) => s.text)).toEqual(['last']);
  });
});

describe('decodeInPlace', () => {
  it('waits for the rest of an escape cut at the end unless the string is over', () => {
    const bytes = Buffer.from('ab\\ud83d\\ude0');
    const step = decodeInPlace(bytes, 0, bytes.length, 0, Number.POSITIVE_INFINITY, false);
    expect(step).toMatchObject({ read: 2, written: 2, invalid: false });
    expect(decodeInPlace(bytes, 2, bytes.length, 2, Number.POSITIVE_INFINITY, true).invalid).toBe(true);
  });
});

describe('ByteText', () => {
  it('stops at maxBytes on a character boundary, strings and bytes alike', () => {
    const s = new ByteText(5);
    s.appendString('ab😀');
    expect(s.toString()).toBe('ab');
    expect(s.cut).toBe(true);
    expect(s.seenBytes).toBe(6);
    const b = new ByteText(5);
    b.appendBytes(Buffer.from('abcé😀'));
    expect(b.toString()).toBe('abcé');
  });

  it('takes an empty text over by moving the buffer, and copies otherwise', () => {
    const from = new ByteText(100);
    from.appendString('hello');
    const into = new ByteText(100);
    into.append(from);
    expect([into.toString(), from.length]).toEqual(['hello', 0]);
    from.appendString(' world');
    into.append(from);
    expect([into.toString(), from.toString()]).toEqual(['hello world', ' world']);
  });

  it('drain() decodes and lets the bytes go', () => {
    const t = new ByteText();
    t.appendString('x'.repeat(3_000_000));
    expect(t.drain().length).toBe(3_000_000);
    expect([t.length, t.capacity]).toEqual([0, 0]);
  });
});

describe('StringDecodeSink escapes', () => {
  /** The raw content of a JSON string (between its quotes) decoded by the sink in one piece. */
  const decode = (raw: string, pieces = 1) => {
    const sink = new StringDecodeSink(1000);
    const bytes = Buffer.from(raw, 'utf8');
    const size = Math.ceil(bytes.length / pieces);
    for (let i = 0; i < bytes.length; i += size) sink.add(bytes, i, Math.min(bytes.length, i + size));
    const text = sink.finish().toString();
    return { text, invalid: sink.invalid };
  };
  /** What JSON.parse makes of the same content, as it reads after UTF-8 (a lone surrogate becomes U+FFFD). */
  const parsed = (raw: string) => Buffer.from(JSON.parse(`"${raw}"`) as string, 'utf8').toString('utf8');

  it.each([
    ['upper-case hex digits', '\\u00E9\\u00e9'],
    ['a lone low surrogate', 'a\\udc00b'],
    ['a high surrogate before plain text', 'a\\ud83dxyz'],
    ['a high surrogate before another escape', 'a\\ud83d\\n'],
    ['a high surrogate before a non-surrogate \\u escape', 'a\\ud83d\\u0041'],
    ['a high surrogate at the very end', 'a\\ud83d'],
    ['a surrogate pair', '\\ud83d\\ude00!'],
  ])('decodes %s as JSON.parse does', (_name, raw) => {
    expect(decode(raw)).toEqual({ text: parsed(raw), invalid: false });
    expect(decode(raw, 3)).toEqual({ text: parsed(raw), invalid: false });
  });

  it.each([
    ['a \\u escape with a non-hex digit', 'a\\u00G9'],
    ['an escape JSON does not define', 'a\\x41'],
    ['a backslash before a non-ASCII character', 'a\\é'],
    ['a backslash at the very end', 'a\\'],
    ['a \\u escape cut short at the end', 'a\\u00'],
  ])('marks %s invalid', (_name, raw) => {
    expect(decode(raw).invalid).toBe(true);
  });
});
