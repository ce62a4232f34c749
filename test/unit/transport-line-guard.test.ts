/** LineGuard: lines pass whole, an oversized one is dropped (bounded memory) and described, and the config agrees. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/engine/config.js';
import { isBrutalistError } from '../../src/errors/index.js';
import { describeOversized, LineGuard, type OversizedLine } from '../../src/transport/line-guard.js';

function feed(guard: LineGuard, text: string, chunkBytes: number): string[] {
  const bytes = Buffer.from(text);
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += chunkBytes) {
    for (const line of guard.push(bytes.subarray(i, i + chunkBytes))) out.push(line.toString());
  }
  return out;
}

describe('LineGuard', () => {
  it('hands back each complete line whole, whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: fc.constantFrom('a', 'é', '{', '"', ' '), maxLength: 40 }), {
          maxLength: 8,
        }),
        fc.integer({ min: 1, max: 17 }),
        (lines, chunk) => {
          const dropped: OversizedLine[] = [];
          const guard = new LineGuard(1_000, (l) => dropped.push(l));
          const text = lines.map((l) => `${l}\n`).join('');
          expect(feed(guard, text, chunk)).toEqual(lines.map((l) => `${l}\n`));
          expect(dropped).toEqual([]);
        },
      ),
    );
  });

  it('drops a line over the limit, reports its size, id and method, and passes the lines around it', () => {
    const dropped: OversizedLine[] = [];
    const guard = new LineGuard(1_000, (l) => dropped.push(l));
    const big = JSON.stringify({
      method: 'tools/call',
      params: { name: 'roast', arguments: { context: 'x'.repeat(5_000), id: 99 } },
      jsonrpc: '2.0',
      id: 7,
    });
    const out = feed(guard, `{"a":1}\n${big}\n{"b":2}\n`, 333);
    expect(out).toEqual(['{"a":1}\n', '{"b":2}\n']);
    expect(dropped).toEqual([{ bytes: Buffer.byteLength(big), id: 7, method: 'tools/call' }]);
  });

  it('holds no more than the limit plus the kept ends while dropping (a 50 MB line through a 1 kB guard)', () => {
    const dropped: OversizedLine[] = [];
    const guard = new LineGuard(1_000, (l) => dropped.push(l));
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    for (let i = 0; i < 50; i++) expect(guard.push(chunk)).toEqual([]);
    const internals = guard as unknown as { chunks: Buffer[]; head: Buffer; tail: Buffer };
    expect(internals.chunks).toEqual([]);
    expect(internals.head.length + internals.tail.length).toBeLessThanOrEqual(8_192);
    guard.push(Buffer.from('\n'));
    expect(dropped).toEqual([{ bytes: 50 * 1024 * 1024, id: undefined, method: undefined }]);
  });

  it('reads the id only at the top level: first keys or last key, never one nested in params', () => {
    expect(
      describeOversized('{"jsonrpc":"2.0","id":"req-1","method":"tools/call","params":{', '', 1),
    ).toEqual({ bytes: 1, id: 'req-1', method: 'tools/call' });
    expect(
      describeOversized('{"method":"tools/call","params":{"id":5,', '"x"}},"jsonrpc":"2.0","id":12}', 1).id,
    ).toBe(12);
    expect(describeOversized('{"method":"tools/call","params":{"id":5,', ',"id":5}}', 1).id).toBeUndefined();
    expect(describeOversized('{"params":{"id":5},"method":"x"', 'aaaa', 1)).toEqual({
      bytes: 1,
      id: undefined,
      method: undefined,
    });
    expect(describeOversized('{"method":"notifications/cancelled","params":{', '}}', 1).method).toBe(
      'notifications/cancelled',
    );
  });

  it('reads no id from a number past the safe integers or a string with a broken escape', () => {
    expect(describeOversized('{"id":9999999999999999,"method":"tools/call",', '', 1).id).toBeUndefined();
    expect(describeOversized('{"id":"a\\x","method":"tools/call",', '', 1).id).toBeUndefined();
    expect(describeOversized('{"id":-42,"method":"tools/call",', '', 1).id).toBe(-42);
  });
});

describe('maxMessageBytes and maxContextChars agree', () => {
  it('accepts the defaults and refuses a context limit the transport could not read', () => {
    const config = resolveConfig();
    expect(config.maxMessageBytes).toBeGreaterThanOrEqual(config.maxContextChars * 3 + 1024 * 1024);
    let err: unknown;
    try {
      resolveConfig({ overrides: { maxContextChars: 10_000_000 } });
    } catch (e) {
      err = e;
    }
    expect(isBrutalistError(err) && err.code).toBe('CONFIG_INVALID');
    expect((err as Error).message).toMatch(/maxMessageBytes must be at least .* = 31048576/);
    expect(
      resolveConfig({ overrides: { maxContextChars: 10_000_000, maxMessageBytes: 32 * 1024 * 1024 } })
        .maxContextChars,
    ).toBe(10_000_000);
  });
});
