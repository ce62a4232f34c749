// Progress of a running critique followed again after a reconnect: the session's bounded event store keeps what
// its SSE streams sent, and the real SDK client transport resumes with Last-Event-ID (issue 15).
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpService } from '../../src/transport/index.js';
import { makeSandbox, type Sandbox, waitUntil } from '../support/harness.js';
import { connectHttp, raw, startService, writeKeys } from '../support/http.js';

let sandbox: Sandbox;
let service: HttpService | undefined;
let keys: ReturnType<typeof writeKeys>;

beforeEach(() => {
  sandbox = makeSandbox('brutalist-http-resume-');
  keys = writeKeys(sandbox, { alice: ['roast'], bob: ['roast'] });
});
afterEach(async () => {
  await service?.close();
  service = undefined;
  sandbox.cleanup();
});

const ROAST = {
  name: 'roast',
  arguments: { domain: 'idea', context: 'A plan.\n@@fake delay_ms=4000\n@@fake text=RESUMED critique' },
};

type Progress = { progressToken: string | number; progress: number };

function progressOf(messages: readonly JSONRPCMessage[]): Progress[] {
  return messages.flatMap((m) =>
    'method' in m && m.method === 'notifications/progress' ? [m.params as Progress] : [],
  );
}

/** A resuming GET as a client sends it, with `token`, for `sessionId` after `lastEventId`. */
function resumeRaw(token: string | undefined, sessionId: string, lastEventId: string) {
  return raw(service!, {
    method: 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'text/event-stream',
      'mcp-session-id': sessionId,
      'last-event-id': lastEventId,
    },
  });
}

describe('resuming a critique’s SSE stream', () => {
  it('gives a client that reconnects with Last-Event-ID the progress it missed and the result', async () => {
    service = await startService(sandbox, {
      apiKeysFile: keys.file,
      progressIntervalMs: 250,
      waitMs: 60_000,
    });
    const first = await connectHttp(service, keys.tokens.alice);
    const sessionId = first.transport.sessionId!;
    const seen: number[] = [];
    let lastEventId: string | undefined;
    const call = first.client
      .callTool(ROAST, undefined, {
        onprogress: (p) => {
          seen.push(p.progress);
        },
        onresumptiontoken: (token) => {
          lastEventId = token;
        },
      })
      .catch((err: unknown) => err);
    await waitUntil(() => seen.length >= 1);
    // The connection drops mid-critique; the session stays (no DELETE).
    await first.transport.close();
    await call;
    expect(lastEventId).toBeDefined();

    const again = new StreamableHTTPClientTransport(new URL(`${service.url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${keys.tokens.alice}` } },
      sessionId,
    });
    const received: JSONRPCMessage[] = [];
    again.onmessage = (m) => received.push(m);
    await again.start();
    const resumed = { jsonrpc: '2.0' as const, id: 1, method: 'tools/call', params: ROAST };
    await again.send(resumed, { resumptionToken: lastEventId! });
    await waitUntil(() => received.some((m) => 'result' in m), 20_000);
    await again.close();

    const result = received.find((m) => 'result' in m);
    expect(JSON.stringify(result)).toContain('RESUMED critique');
    const missed = progressOf(received);
    expect(missed.length).toBeGreaterThan(0);
    // The same request's progress, continuing where the first connection stopped: nothing seen twice.
    expect(missed.every((p) => p.progress > Math.max(...seen))).toBe(true);
  });

  it('answers 400 EVENT_ID_UNKNOWN to a Last-Event-ID of no stream the session holds', async () => {
    service = await startService(sandbox, { apiKeysFile: keys.file });
    const first = await connectHttp(service, keys.tokens.alice);
    for (const lastEventId of ['made-up~1', 'no-separator', 'x~0']) {
      const res = await resumeRaw(keys.tokens.alice, first.transport.sessionId!, lastEventId);
      expect(res.status).toBe(400);
      expect(res.json().error.data.code).toBe('EVENT_ID_UNKNOWN');
    }
    await first.client.close();
  });

  it('replays nothing to another principal presenting the session and event id', async () => {
    service = await startService(sandbox, { apiKeysFile: keys.file });
    const first = await connectHttp(service, keys.tokens.alice);
    const res = await resumeRaw(keys.tokens.bob, first.transport.sessionId!, '_GET_stream~1');
    expect(res.status).toBe(404);
    await first.client.close();
  });
});
