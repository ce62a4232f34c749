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
  it('reads text from the real claude stream-json sample, whatever the chunking', () => {
    const bytes = sample('claude-stream-json.out');
    for (const size of [1, 7, 64, bytes.length]) {
      const events = feed(new CriticEventParser('claude'), bytes, size);
      expect(notOutput(events)).toEqual([{ kind: 'text', critic: 'claude', chars: 46 }]);
      const total = events.reduce((n, e) => n + (e.kind === 'output' ? e.bytes : 0), 0);
      expect(total).toBe(bytes.length);
    }
  });

  it('reads the agent message from codex JSONL and ignores the Model metadata error item', () => {
    expect(notOutput(feed(new CriticEventParser('codex'), sample('codex-json.out'), 13))).toEqual([
      { kind: 'text', critic: 'codex', chars: 46 },
    ]);
  });

  it('reads assistant deltas from gemini stream-json, not the echoed user message', () => {
    expect(notOutput(feed(new CriticEventParser('gemini'), sample('gemini-stream-json.out'), 5))).toEqual([
      { kind: 'text', critic: 'gemini', chars: 46 },
    ]);
  });

  it('reports tool uses by name', () => {
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

  it('decodes multi-byte characters split across chunks', () => {
    const line = Buffer.from(
      `${JSON.stringify({ type: 'message', role: 'assistant', content: 'héllo 🔥 wörld' })}\n`,
    );
    expect(notOutput(feed(new CriticEventParser('gemini'), line, 1))).toEqual([
      { kind: 'text', critic: 'gemini', chars: 14 },
    ]);
  });

  it('skips a line longer than its bound without holding it, then parses the next one', () => {
    const parser = new CriticEventParser('gemini', 1_000);
    const long = Buffer.from(
      `${JSON.stringify({ type: 'message', role: 'assistant', content: 'x'.repeat(5_000) })}\n`,
    );
    const next = Buffer.from(`${JSON.stringify({ type: 'message', role: 'assistant', content: 'ok' })}\n`);
    const events = [...feed(parser, long, 300), ...parser.push(next)];
    expect(notOutput(events)).toEqual([{ kind: 'text', critic: 'gemini', chars: 2 }]);
  });

  it('ignores noise lines and non-object JSON', () => {
    const parser = new CriticEventParser('claude');
    expect(notOutput(parser.push(Buffer.from('WARNING: something\n[1,2]\n{broken\n')))).toEqual([]);
  });
});
