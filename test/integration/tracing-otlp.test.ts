// Tracing over the wire: the HTTP service continues a `traceparent` request header and exports its spans with
// the real OTLP/HTTP exporter to a receiver in this test (a node:http server taking the exporter's POSTs).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HttpService } from '../../src/transport/index.js';
import { makeSandbox, readLog, type Sandbox, waitUntil } from '../support/harness.js';
import { startService, writeKeys } from '../support/http.js';

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN = 'b7ad6b7169203331';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}
interface Post {
  path: string;
  contentType: string;
  body: { resourceSpans: Array<{ scopeSpans: Array<{ spans: OtlpSpan[] }> }> };
}

let sandbox: Sandbox;
let receiver: Server;
let posts: Post[];
let service: HttpService | undefined;

beforeEach(async () => {
  sandbox = makeSandbox('brutalist-otlp-');
  posts = [];
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const contentType = req.headers['content-type'] ?? '';
      posts.push({
        path: req.url ?? '',
        contentType,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
});

afterEach(async () => {
  await service?.close();
  service = undefined;
  await new Promise((resolve) => receiver.close(resolve));
  sandbox.cleanup();
});

const exported = (): OtlpSpan[] =>
  posts.flatMap((p) => p.body.resourceSpans.flatMap((r) => r.scopeSpans.flatMap((s) => s.spans)));

describe('OTLP/HTTP export of an HTTP tool call', () => {
  it('continues the traceparent header and posts the span tree to the configured endpoint', async () => {
    const { port } = receiver.address() as AddressInfo;
    const keys = writeKeys(sandbox, { alice: ['roast'] });
    service = await startService(sandbox, {
      apiKeysFile: keys.file,
      otlpEndpoint: `http://127.0.0.1:${port}/v1/traces`,
      traceExportDelayMs: 10,
    });
    const transport = new StreamableHTTPClientTransport(new URL(`${service.url}/mcp`), {
      requestInit: {
        headers: {
          Authorization: `Bearer ${keys.tokens.alice}`,
          traceparent: `00-${TRACE_ID}-${CALLER_SPAN}-01`,
        },
      },
    });
    const client = new Client({ name: 'brutalist-otlp-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const result = (await client.callTool({
        name: 'roast',
        arguments: { domain: 'idea', context: 'an idea\n@@fake exit_code=3', clis: ['claude'] },
      })) as CallToolResult;
      const error = (result.structuredContent as { error: { data: { requestId: string } } }).error;
      expect(error.data.requestId).toBe(TRACE_ID);
    } finally {
      await client.close();
    }
    await waitUntil(() => exported().some((s) => s.name === 'tools/call roast'));
    expect(posts[0]).toMatchObject({
      path: '/v1/traces',
      contentType: expect.stringMatching(/^application\/json/),
    });
    const spans = exported();
    const request = spans.find((s) => s.name === 'tools/call roast')!;
    expect(request).toMatchObject({ traceId: TRACE_ID, parentSpanId: CALLER_SPAN });
    expect(request.attributes).toContainEqual({ key: 'error.type', value: { stringValue: 'CLI_FAILED' } });
    await waitUntil(() => exported().some((s) => s.name === 'brutalist.critic'));
    const critic = exported().find((s) => s.name === 'brutalist.critic')!;
    expect(critic.traceId).toBe(TRACE_ID);
    const run = readLog(sandbox.log).find((i) => !i.argv.includes('--version'));
    expect(run?.env.TRACEPARENT).toBe(`00-${TRACE_ID}-${critic.spanId}-01`);
  });
});
