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
