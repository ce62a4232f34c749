// The stub model API the real-CLI tests rely on, checked with plain fetch: each vendor's stream and error shapes,
// scripting (status, close, stall, gate), request recording, and refusing connections.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StubModelServer } from '../support/stub-model/index.js';

let stub: StubModelServer;
beforeAll(async () => {
  stub = await StubModelServer.start();
});
afterAll(async () => {
  await stub.close();
});

const post = (path: string, body: unknown) =>
  fetch(`${stub.url}${path}`, { method: 'POST', body: JSON.stringify(body), headers: { 'x-api-key': 'k' } });

/** The `data:` payloads of an SSE body, parsed. */
const events = (sse: string) =>
  sse
    .split('\n\n')
    .filter((f) => f.includes('data: '))
    .map((f) => JSON.parse(f.slice(f.indexOf('data: ') + 6)) as Record<string, unknown>);

describe('stub model API', () => {
  it('streams Anthropic Messages events whose text deltas add up to the scripted text, and records the request', async () => {
    stub.when('M-anthropic', { text: 'abcdefghij', chunkChars: 3 });
    const res = await post('/v1/messages?beta=true', {
      model: 'claude-x',
      stream: true,
      system: [{ type: 'text', text: 'SYS' }],
      messages: [{ role: 'user', content: [{ type: 'text', text: 'hi M-anthropic' }] }],
    });
    const evs = events(await res.text());
    expect(evs.map((e) => e.type)).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      ...Array(4).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    const text = evs
      .filter((e) => e.type === 'content_block_delta')
      .map((e) => (e.delta as { text: string }).text)
      .join('');
    expect(text).toBe('abcdefghij');
    const [rec] = stub.requestsWith('M-anthropic');
    expect(rec).toMatchObject({ api: 'anthropic', model: 'claude-x', stream: true, outcome: 'stream' });
    expect(rec!.promptText).toContain('SYS');
    expect(rec!.headers['x-api-key']).toBe('k');
  });

  it('streams OpenAI Responses events ending in response.completed with the whole text', async () => {
    stub.when('M-openai', { text: 'xyz' });
    const res = await post('/v1/responses', { model: 'gpt-x', stream: true, input: 'M-openai' });
    const evs = events(await res.text());
    expect(evs.at(-1)?.type).toBe('response.completed');
    const done = evs.find((e) => e.type === 'response.output_item.done') as {
      item: { content: { text: string }[] };
    };
    expect(done.item.content[0]!.text).toBe('xyz');
  });

  it('answers Gemini streamGenerateContent with SSE chunks and a JSON-mode generateContent from the schema', async () => {
    stub.when('M-gemini', { text: 'g1g2' });
    const stream = await post('/v1beta/models/gemini-x:streamGenerateContent?alt=sse', {
      contents: [{ role: 'user', parts: [{ text: 'M-gemini' }] }],
    });
    const chunks = events(await stream.text()) as Array<{
      candidates: { content: { parts: { text: string }[] } }[];
    }>;
    expect(chunks.map((c) => c.candidates[0]!.content.parts[0]!.text).join('')).toBe('g1g2');
    const router = await post('/v1beta/models/gemini-lite:generateContent', {
      contents: [{ role: 'user', parts: [{ text: 'M-gemini' }] }],
      generationConfig: {
        responseMimeType: 'application/json',
        responseJsonSchema: {
          type: 'OBJECT',
          properties: { reasoning: { type: 'STRING' }, score: { type: 'INTEGER' } },
        },
      },
    });
    const body = (await router.json()) as { candidates: { content: { parts: { text: string }[] } }[] };
    expect(JSON.parse(body.candidates[0]!.content.parts[0]!.text)).toEqual({ reasoning: 'stub', score: 50 });
    expect(stub.requestsWith('M-gemini').map((r) => r.model)).toEqual(['gemini-x', 'gemini-lite']);
  });

  it.each([
    ['/v1/messages', { type: 'error', error: { type: 'rate_limit_error', message: 'slow' } }],
    ['/v1/responses', { error: { message: 'slow', type: 'rate_limit_exceeded', param: null, code: null } }],
    [
      '/v1beta/models/m:streamGenerateContent?alt=sse',
      { error: { code: 429, message: 'slow', status: 'RESOURCE_EXHAUSTED' } },
    ],
  ])('answers a scripted 429 on %s with the vendor error body', async (path, expected) => {
    stub.when('M-429', { status: 429, errorMessage: 'slow' });
    const res = await post(path, {
      stream: true,
      messages: [{ role: 'user', content: 'M-429' }],
      input: 'M-429',
    });
    expect(res.status).toBe(429);
    expect(await res.json()).toEqual(expected);
  });

  it('drops the connection, or stalls mid-stream, when told to', async () => {
    stub.when('M-close', { close: true });
    await expect(post('/v1/responses', { stream: true, input: 'M-close' })).rejects.toThrow();
    stub.when('M-stall', { stallAfterChars: 2, text: 'abcdef', chunkChars: 1 });
    const res = await post('/v1/responses', { stream: true, input: 'M-stall' });
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toContain('response.created');
    await reader.cancel();
    await expect.poll(() => stub.requestsWith('M-stall')[0]?.outcome).toBe('stall');
  });

  it('holds requests at a gate until enough have arrived', async () => {
    const gate = { count: 2, maxWaitMs: 10_000 };
    stub.when('M-gate', { gate, text: 'ok' });
    const [a, b] = await Promise.all([
      post('/v1/responses', { input: 'M-gate 1' }),
      post('/v1/responses', { input: 'M-gate 2' }),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const [r1, r2] = stub.requestsWith('M-gate');
    expect(Math.max(r1!.receivedAt, r2!.receivedAt)).toBeLessThanOrEqual(
      Math.min(r1!.answeredAt!, r2!.answeredAt!),
    );
  });

  it('refuses connections and accepts them again on the same port', async () => {
    const url = stub.url;
    await stub.refuse();
    await expect(fetch(`${url}/`, { method: 'HEAD' })).rejects.toThrow();
    await stub.accept();
    expect(stub.url).toBe(url);
    expect((await fetch(`${url}/`, { method: 'HEAD' })).status).toBe(200);
  });
});
