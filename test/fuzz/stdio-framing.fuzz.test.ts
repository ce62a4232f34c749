/**
 * Fuzz: raw JSON-RPC framing over stdio against the built server. Garbage lines, split frames, oversized lines and
 * invalid UTF-8 are answered with a JSON-RPC error or ignored; the server keeps serving, prints only JSON lines on
 * stdout, and no answer holds a host path or a stack.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUZZ_RUNS, leaksInternals, useFuzzSeed } from '../support/fuzz.js';
import { isAlive, makeSandbox, type Sandbox, serverEnv } from '../support/harness.js';
import { type RawStdioServer, startRawStdio } from '../support/raw-stdio.js';

useFuzzSeed('stdio-framing');

const MAX_MESSAGE_BYTES = 1_100_000;
let sandbox: Sandbox;
let server: RawStdioServer;

beforeAll(async () => {
  sandbox = makeSandbox('brutalist-fuzz-stdio-');
  server = await startRawStdio(
    serverEnv(sandbox, {
      BRUTALIST_MAX_CONTEXT_CHARS: '1000',
      BRUTALIST_MAX_MESSAGE_BYTES: String(MAX_MESSAGE_BYTES),
    }),
    sandbox.project,
  );
});

afterAll(async () => {
  await server?.stop();
  sandbox?.cleanup();
});

/** One thing written to stdin: bytes that are, or are not, a JSON-RPC message. */
const frame = fc.oneof(
  fc.string({ maxLength: 200 }).map((s) => `${s.replaceAll('\n', ' ')}\n`),
  fc.jsonValue({ maxDepth: 3 }).map((v) => `${JSON.stringify(v)}\n`),
  fc
    .record({
      jsonrpc: fc.constantFrom('2.0', '1.0', 2),
      id: fc.oneof(fc.integer(), fc.string({ maxLength: 8 }), fc.constant(null)),
      method: fc.oneof(
        fc.constantFrom('tools/call', 'tools/list', 'ping', 'resources/list', 'nope'),
        fc.string({ maxLength: 10 }),
      ),
      params: fc.oneof(fc.constant(undefined), fc.jsonValue({ maxDepth: 2 })),
    })
    .map((m) => `${JSON.stringify(m)}\n`),
  fc
    .uint8Array({ minLength: 1, maxLength: 64 })
    .map((b) => Buffer.concat([Buffer.from(b.filter((x) => x !== 10)), Buffer.from('\n')])),
  fc.constant(Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0x0a])),
  fc.constant('\n'),
  fc.constant('\r\n'),
);

/** Writes `bytes` in pieces (split frames) and resolves once all are written. */
async function writeSplit(bytes: Buffer, cuts: readonly number[]): Promise<void> {
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    const to = Math.min(bytes.length, cut);
    if (to > at) await server.write(bytes.subarray(at, to));
    at = Math.max(at, to);
  }
  if (at < bytes.length) await server.write(bytes.subarray(at));
}

/** The server is alive and answers a ping by id after everything written before it. */
async function stillServes(id: string): Promise<void> {
  const answer = await server.request('ping', undefined, id);
  expect(answer).toMatchObject({ jsonrpc: '2.0', id, result: {} });
  expect(isAlive(server.child.pid ?? -1)).toBe(true);
}

function checkOutput(from: number): void {
  for (const line of server.lines.slice(from)) {
    expect(() => JSON.parse(line), line.slice(0, 80)).not.toThrow();
    expect(leaksInternals(line, [sandbox.dir])).toBe(false);
  }
}

describe('stdio framing under fuzz', () => {
  it('keeps serving after any sequence of frames, however they are split, printing only clean JSON', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(frame, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(400), { maxLength: 4 }),
        async (frames, cuts) => {
          const from = server.lines.length;
          const bytes = Buffer.concat(
            frames.map((f) => (typeof f === 'string' ? Buffer.from(f) : Buffer.from(f))),
          );
          await writeSplit(bytes, cuts);
          // A frame left without its newline would swallow the ping; end it first (the line itself is garbage).
          await server.write('\n');
          await stillServes(`ping-${round++}`);
          checkOutput(from);
        },
      ),
      { numRuns: Math.max(5, Math.ceil(FUZZ_RUNS / 4)) },
    );
  });

  it('answers requests for unknown methods with a JSON-RPC error by id', async () => {
    const answer = await server.request('no/such/method', {}, 'unknown-1');
    expect(answer).toMatchObject({ id: 'unknown-1', error: { code: -32601 } });
  });

  it('answers a line over maxMessageBytes with -32600 by id, split across many writes, and keeps serving', async () => {
    const from = server.lines.length;
    const huge = JSON.stringify({
      jsonrpc: '2.0',
      id: 'huge-1',
      method: 'tools/call',
      params: { name: 'roast', arguments: { context: 'x'.repeat(MAX_MESSAGE_BYTES) } },
    });
    const cuts = Array.from({ length: 20 }, (_, i) => Math.floor((huge.length * (i + 1)) / 21));
    const answered = new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (server.lines.slice(from).some((l) => l.includes('"huge-1"'))) {
          clearInterval(poll);
          resolve();
        }
      }, 10);
    });
    await writeSplit(Buffer.from(`${huge}\n`), cuts);
    await answered;
    const reply = JSON.parse(server.lines.slice(from).find((l) => l.includes('"huge-1"'))!) as Record<
      string,
      unknown
    >;
    expect(reply).toMatchObject({ id: 'huge-1', error: { code: -32600, data: { code: 'INPUT_TOO_LARGE' } } });
    await stillServes('after-huge');
    checkOutput(from);
  });
});
