import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CappedCollector, TailCollector } from '../../src/process/output.js';

describe('CappedCollector', () => {
  it('keeps exactly the first maxBytes and counts every byte seen', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }),
        fc.nat(300),
        (chunks, max) => {
          const c = new CappedCollector(max);
          const kept: Buffer[] = [];
          for (const chunk of chunks) kept.push(c.push(Buffer.from(chunk)));
          const all = Buffer.concat(chunks.map((x) => Buffer.from(x)));
          expect(c.toBuffer().equals(all.subarray(0, max))).toBe(true);
          expect(Buffer.concat(kept).equals(all.subarray(0, max))).toBe(true);
          expect(c.totalBytes).toBe(all.length);
          expect(c.overflowed).toBe(all.length > max);
        },
      ),
    );
  });

  it('slices the chunk that crosses the cap', () => {
    const c = new CappedCollector(5);
    expect(c.push(Buffer.from('abc')).toString()).toBe('abc');
    expect(c.push(Buffer.from('defg')).toString()).toBe('de');
    expect(c.push(Buffer.from('h')).length).toBe(0);
    expect(c.toBuffer().toString()).toBe('abcde');
    expect(c.totalBytes).toBe(8);
  });

  it('does not count exactly maxBytes as overflowed', () => {
    const c = new CappedCollector(3);
    c.push(Buffer.from('abc'));
    expect(c.overflowed).toBe(false);
    c.push(Buffer.from('d'));
    expect(c.overflowed).toBe(true);
  });

  it('gives the same bytes when asked twice', () => {
    const c = new CappedCollector(10);
    c.push(Buffer.from('abc'));
    c.push(Buffer.from('def'));
    expect(c.toBuffer().toString()).toBe('abcdef');
    expect(c.toBuffer().toString()).toBe('abcdef');
  });
});

describe('TailCollector: what counts as trimmed', () => {
  const tail = (max: number, ...chunks: (string | number[])[]) => {
    const t = new TailCollector(max);
    for (const c of chunks) t.push(typeof c === 'string' ? Buffer.from(c) : Buffer.from(c));
    return t.toString();
  };

  it('does not count a first chunk of exactly maxBytes as trimmed: its leading invalid byte stays U+FFFD', () => {
    expect(tail(3, [0x80, 0x41, 0x42])).toBe('\uFFFDAB');
  });

  it('counts a chunk of maxBytes after earlier bytes as trimmed: a cut character is dropped', () => {
    expect(tail(3, 'Z', [0x80, 0x41, 0x42])).toBe('AB');
  });

  it('counts a trim of the front chunk as trimmed', () => {
    // '€' is 3 bytes (E2 82 AC); keeping the last 4 of '€AB' cuts it to 82 AC.
    expect(tail(4, '€', 'AB')).toBe('AB');
  });

  it('skips at most 3 continuation bytes, the most a cut UTF-8 character leaves', () => {
    expect(tail(5, 'Z', [0x80, 0x80, 0x80, 0x80, 0x41])).toBe('\uFFFDA');
  });

  it('ignores empty chunks and keeps nothing with a zero bound', () => {
    expect(tail(3, 'ab', '', 'c')).toBe('abc');
    expect(tail(0, 'abc')).toBe('');
  });
});

describe('TailCollector', () => {
  it('keeps exactly the last maxBytes of ASCII input', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 40 }), { maxLength: 30 }), fc.nat(200), (parts, max) => {
        const ascii = parts.map((p) => p.replace(/[^\x20-\x7e]/g, 'x'));
        const t = new TailCollector(max);
        for (const p of ascii) t.push(Buffer.from(p));
        const all = ascii.join('');
        expect(t.toString()).toBe(max === 0 ? '' : all.slice(Math.max(0, all.length - max)));
      }),
    );
  });

  it('drops a multi-byte character cut at the front instead of showing U+FFFD', () => {
    const t = new TailCollector(4);
    t.push(Buffer.from('aé€')); // 61 c3a9 e282ac: the last 4 bytes start inside é
    expect(t.toString()).toBe('€');
  });

  it('keeps genuinely invalid leading bytes as U+FFFD when nothing was trimmed', () => {
    const t = new TailCollector(16);
    t.push(Buffer.from([0x80, 0x41]));
    expect(t.toString()).toBe('\uFFFDA');
  });

  it('decodes a character split across chunks', () => {
    const t = new TailCollector(16);
    const euro = Buffer.from('€');
    t.push(euro.subarray(0, 1));
    t.push(euro.subarray(1));
    expect(t.toString()).toBe('€');
  });

  it('keeps the tail of a single chunk larger than the bound', () => {
    const t = new TailCollector(3);
    t.push(Buffer.from('abcdef'));
    expect(t.toString()).toBe('def');
  });
});
