import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CriticEventParser } from '../../src/critics/events.js';
import type { StreamEvent } from '../../src/streaming/index.js';

const sample = (name: string) => readFileSync(new URL(`../fixtures/cli-samples/${name}`, import.meta.url));

function feed(parser: CriticEventParser, bytes: Buffer, chunkSize: number): StreamEvent[] {
  const out: StreamEvent[] = [];
  for (let i = 0; i < bytes.length; i += chunkSize)
    out.push(...parser.push(bytes.subarray(i, i + chunkSize)));
  return out;
}

const notOutput = (events: StreamEvent[]) => events.filter((e) => e.kind !== 'output');

describe('CriticEventParser', () => {
  it.each([
    ['claude', 'claude-stream-json.out'],
    ['codex', 'codex-json.out'],
    ['gemini', 'gemini-stream-json.out'],
  ] as const)(
    'counts every byte of the real %s sample, whatever the chunking, and sees no tools in it',
    (critic, file) => {
      const bytes = sample(file);
      for (const size of [1, 7, 64, bytes.length]) {
        const events = feed(new CriticEventParser(critic), bytes, size);
        expect(notOutput(events)).toEqual([]);
        const total = events.reduce((n, e) => n + (e.kind === 'output' ? e.bytes : 0), 0);
        expect(total).toBe(bytes.length);
      }
    },
  );

  it('reports tool uses by name, with the text that came in the same message', () => {
    const lines = [
      {
        type: 'assistant',
        message: {
          content: [
            { type: 'tool_use', name: 'Read' },
            { type: 'text', text: 'ok' },
          ],
        },
      },
      { type: 'item.started', item: { type: 'command_execution', command: 'ls' } },
      { type: 'tool_use', tool_name: 'read_file' },
    ];
    const bytes = (o: object) => Buffer.from(`${JSON.stringify(o)}\n`);
    expect(notOutput(new CriticEventParser('claude').push(bytes(lines[0]!)))).toEqual([
      { kind: 'tool', critic: 'claude', name: 'Read' },
      { kind: 'text', critic: 'claude', chars: 2 },
    ]);
    expect(notOutput(new CriticEventParser('codex').push(bytes(lines[1]!)))).toEqual([
      { kind: 'tool', critic: 'codex', name: 'command_execution' },
    ]);
    expect(notOutput(new CriticEventParser('gemini').push(bytes(lines[2]!)))).toEqual([
      { kind: 'tool', critic: 'gemini', name: 'read_file' },
    ]);
  });

  it('ignores codex items that are not tools (reasoning, agent messages)', () => {
    const line = Buffer.from(`${JSON.stringify({ type: 'item.started', item: { type: 'reasoning' } })}\n`);
    expect(notOutput(new CriticEventParser('codex').push(line))).toEqual([]);
  });

  it('decodes multi-byte characters split across chunks', () => {
    const line = Buffer.from(`${JSON.stringify({ type: 'tool_use', tool_name: 'lire_fichier_é🔥' })}\n`);
    expect(notOutput(feed(new CriticEventParser('gemini'), line, 1))).toEqual([
      { kind: 'tool', critic: 'gemini', name: 'lire_fichier_é🔥' },
    ]);
  });

  it('skips a line longer than its bound without holding it, then parses the next one', () => {
    const parser = new CriticEventParser('gemini', 1_000);
    const long = Buffer.from(`${JSON.stringify({ type: 'tool_use', tool_name: 'x'.repeat(5_000) })}\n`);
    const next = Buffer.from(`${JSON.stringify({ type: 'tool_use', tool_name: 'grep' })}\n`);
    const events = [...feed(parser, long, 300), ...parser.push(next)];
    expect(notOutput(events)).toEqual([{ kind: 'tool', critic: 'gemini', name: 'grep' }]);
  });

  it('ignores noise lines and non-object JSON', () => {
    const parser = new CriticEventParser('claude');
    expect(notOutput(parser.push(Buffer.from('WARNING: "tool_use"\n["tool_use"]\n{"tool_use"\n')))).toEqual(
      [],
    );
  });
});

describe('CriticEventParser on a long line in many chunks', () => {
  /** One gemini tool_use line over 4 KiB, padded so the hint lands at `at`, cut into chunks of `size` bytes. */
  const longLine = (hintAt: 'first' | 'seam' | 'none', size: number) => {
    const pad = 'p'.repeat(9000);
    const line =
      hintAt === 'none'
        ? `${JSON.stringify({ type: 'message', role: 'assistant', content: pad })}\n`
        : `${JSON.stringify({ pad: hintAt === 'seam' ? pad.slice(0, size - 22) : '', type: 'tool_use', tool_name: 'read_file', more: pad })}\n`;
    const bytes = Buffer.from(line);
    const chunks: Buffer[] = [];
    for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
    return chunks;
  };
  const tools = (chunks: Buffer[]) => {
    const parser = new CriticEventParser('gemini');
    return chunks.flatMap((c) => parser.push(c)).filter((e) => e.kind === 'tool');
  };

  it('finds the tool hint inside one of the chunks', () => {
    expect(tools(longLine('first', 3000))).toEqual([{ kind: 'tool', critic: 'gemini', name: 'read_file' }]);
  });

  it('finds the tool hint cut across the seam of two chunks', () => {
    const chunks = longLine('seam', 3000);
    const first = chunks[0]?.toString('utf8') ?? '';
    expect(first.includes('"tool_use"')).toBe(false);
    expect(first.endsWith('"tool')).toBe(true);
    expect(tools(chunks)).toEqual([{ kind: 'tool', critic: 'gemini', name: 'read_file' }]);
  });

  it('reports no tool for a long text line without the hint', () => {
    expect(tools(longLine('none', 3000))).toEqual([]);
  });
});
