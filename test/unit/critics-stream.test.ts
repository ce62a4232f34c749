// The incremental parsers: any chunking of an output reads the same as the whole output (recorded real outputs
// and samples), multi-byte characters and lines cut between chunks survive, long lines are skipped, and the
// answer — not the raw stream — is what maxOutputBytes bounds.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  ADAPTERS,
  claudeAdapter,
  codexAdapter,
  geminiAdapter,
  type ParsedOutput,
} from '../../src/critics/index.js';
import { lineBoundFor } from '../../src/critics/stream.js';
import {
  CLAUDE_INIT,
  CLAUDE_STREAM_OK,
  CODEX_JSON_OK,
  claudeAssistant,
  claudeResult,
  GEMINI_JSON_OK,
  GEMINI_STREAM_OK,
} from './critics-samples.js';

const RECORDED = resolve(import.meta.dirname, '../fixtures/recorded');
type Adapter = (typeof ADAPTERS)[keyof typeof ADAPTERS];

/** A deterministic PRNG so a failing split can be replayed from its seed. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

function chunked(adapter: Adapter, bytes: Buffer, cuts: number[], maxAnswerBytes = Number.POSITIVE_INFINITY) {
  const parser = adapter.openParser({ maxAnswerBytes });
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    parser.push(bytes.subarray(start, cut));
    start = cut;
  }
  return parser.finish();
}

function outcome(read: () => ParsedOutput): ParsedOutput | string {
  try {
    return read();
  } catch (err) {
    return (err as { code?: string }).code ?? 'threw';
  }
}

const cases: [string, Adapter, string][] = [
  ['claude sample', claudeAdapter, CLAUDE_STREAM_OK],
  ['codex sample', codexAdapter, CODEX_JSON_OK],
  ['gemini stream sample', geminiAdapter, GEMINI_STREAM_OK],
  ['gemini -o json sample', geminiAdapter, GEMINI_JSON_OK],
];
/** A long answer (escapes, multi-byte and astral characters) as claude frames it: deltas, message, result. */
const LONG_ANSWER = 'Line "one"\tzażółć 批评 🔥\\ end\n'.repeat(2_000); // ~80 KB, past LONG_STRING_BYTES
function longClaudeStream(answer: string): string {
  const delta = (text: string) => ({
    type: 'stream_event',
    event: { type: 'content_block_delta', delta: { type: 'text_delta', text } },
  });
  const start = { type: 'stream_event', event: { type: 'message_start', message: { id: 'msg_long' } } };
  const third = Math.floor(answer.length / 3);
  const parts = [answer.slice(0, third), answer.slice(third, 2 * third), answer.slice(2 * third)];
  return [
    CLAUDE_INIT,
    start,
    ...parts.map(delta),
    claudeAssistant(answer, 'msg_long'),
    claudeResult({ result: answer }),
  ]
    .map((line) => `${JSON.stringify(line)}\n`)
    .join('');
}
cases.push(['claude long answer', claudeAdapter, longClaudeStream(LONG_ANSWER)]);
cases.push([
  'claude long answer, deltas only',
  claudeAdapter,
  longClaudeStream(LONG_ANSWER).split('\n').slice(0, 5).join('\n'),
]);

for (const dir of readdirSync(RECORDED)) {
  const critic = dir.split('-')[0] as keyof typeof ADAPTERS;
  for (const f of readdirSync(join(RECORDED, dir)).filter((n) => n.endsWith('.stdout.jsonl'))) {
    cases.push([`${dir}/${f}`, ADAPTERS[critic], readFileSync(join(RECORDED, dir, f), 'utf8')]);
  }
}

describe('stream parsers', () => {
  it.each(cases)('%s reads the same in chunks cut at random points as whole', (_name, adapter, stdout) => {
    const whole = outcome(() => adapter.parseOutput(stdout));
    const bytes = Buffer.from(stdout, 'utf8');
    const next = rng(bytes.length);
    for (let round = 0; round < 20; round++) {
      const cuts = Array.from({ length: 1 + Math.floor(next() * 12) }, () =>
        Math.floor(next() * bytes.length),
      );
      cuts.sort((a, b) => a - b);
      expect(
        outcome(() => chunked(adapter, bytes, cuts)),
        `cuts ${cuts.join(',')}`,
      ).toEqual(whole);
    }
  });

  it('reads a line fed one byte at a time, multi-byte characters cut between chunks included', () => {
    const text = 'zażółć gęślą jaźń — 批评 🔥';
    const stdout = `${JSON.stringify(CLAUDE_INIT)}\n${JSON.stringify(claudeResult({ result: text }))}\n`;
    const bytes = Buffer.from(stdout, 'utf8');
    const cuts = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
    expect(chunked(claudeAdapter, bytes, cuts).text).toBe(text);
  });

  it('skips a line longer than the line bound and reads the lines after it', () => {
    const parser = claudeAdapter.openParser({ maxAnswerBytes: 10_000, maxLineBytes: 1_000 });
    const huge = JSON.stringify(claudeAssistant('x'.repeat(5_000)));
    for (let i = 0; i < huge.length; i += 50) parser.push(Buffer.from(huge.slice(i, i + 50)));
    parser.push(Buffer.from(`\n${JSON.stringify(claudeAssistant('short', 'msg_2'))}\n`));
    expect(parser.finish().text).toBe('short');
  });

  it('bounds lines at twice the answer cap plus 1 MiB of framing', () => {
    expect(lineBoundFor(8 * 1024 * 1024)).toBe(17 * 1024 * 1024);
  });

  it('counts answer bytes, not raw stream bytes, against maxAnswerBytes', () => {
    // Deltas, then the whole message, then the result: three copies of the text in the stream, one kept.
    const answer = 'é'.repeat(400); // 800 bytes
    const delta = (text: string) =>
      JSON.stringify({
        type: 'stream_event',
        event: { type: 'content_block_delta', delta: { type: 'text_delta', text } },
      });
    const start = JSON.stringify({
      type: 'stream_event',
      event: { type: 'message_start', message: { id: 'msg_stub' } },
    });
    const lines = [
      JSON.stringify(CLAUDE_INIT),
      start,
      delta(answer.slice(0, 200)),
      delta(answer.slice(200)),
      JSON.stringify(claudeAssistant(answer)),
      JSON.stringify(claudeResult({ result: answer })),
    ];
    const parser = claudeAdapter.openParser({ maxAnswerBytes: 1_000 });
    for (const line of lines) expect(parser.push(Buffer.from(`${line}\n`))).toBe(true);
    expect(parser.finish().text).toBe(answer);

    const small = claudeAdapter.openParser({ maxAnswerBytes: 500 });
    const room = lines.map((line) => small.push(Buffer.from(`${line}\n`)));
    expect(room.slice(0, 3)).toEqual([true, true, true]);
    expect(room[3]).toBe(false);
    // Everything pushed after the cap was passed is dropped: at most 500 bytes, cut between characters.
    expect(small.finish().text).toBe(answer.slice(0, 250));
  });

  it('reads a long answer whole from deltas, message or result, and cuts it at the cap between characters', () => {
    const stream = Buffer.from(longClaudeStream(LONG_ANSWER));
    expect(chunked(claudeAdapter, stream, [1_000, 30_000, 30_001, 90_000]).text).toBe(LONG_ANSWER);
    const deltasOnly = Buffer.from(longClaudeStream(LONG_ANSWER).split('\n').slice(0, 5).join('\n'));
    expect(chunked(claudeAdapter, deltasOnly, [5_000, 50_000]).text).toBe(LONG_ANSWER);
    const cap = 50_001;
    const parser = claudeAdapter.openParser({ maxAnswerBytes: cap });
    let room = true;
    for (let i = 0; i < stream.length && room; i += 4_096) room = parser.push(stream.subarray(i, i + 4_096));
    expect(room).toBe(false);
    const kept = Buffer.from(parser.finish().text, 'utf8');
    expect(kept.length).toBeLessThanOrEqual(cap);
    expect(kept.length).toBeGreaterThan(cap - 4);
    expect(Buffer.from(LONG_ANSWER).subarray(0, kept.length).equals(kept)).toBe(true);
  });

  it('keeps at most maxAnswerBytes of answer when one chunk carries the answer past the cap', () => {
    const text = `${'a'.repeat(99)}😀${'b'.repeat(100)}`; // the emoji (4 bytes, 2 UTF-16 units) straddles byte 100
    const parser = claudeAdapter.openParser({ maxAnswerBytes: 101 });
    const stream = [CLAUDE_INIT, claudeAssistant(text), claudeResult({ result: text })];
    expect(parser.push(Buffer.from(stream.map((l) => `${JSON.stringify(l)}\n`).join('')))).toBe(false);
    expect(parser.finish().text).toBe('a'.repeat(99));
  });
});
