// What a flood costs and cannot take, over real HTTP: an address whose budget is known spent is refused from
// prepared bytes before its body is read, with `Connection: close`, and its audit lines are tallied (never
// dropped); one address cannot hold more than httpMaxConnectionsPerIp sockets; behind a trusted proxy the
// forwarded client address is the one that pays.
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../src/engine/config.js';
import type { HttpAuditEntry } from '../../src/http/index.js';
import type { HttpService } from '../../src/transport/index.js';
import { makeSandbox, type Sandbox } from '../support/harness.js';
import { INITIALIZE, raw, startService, writeKeys } from '../support/http.js';

const HOUR_MS = 60 * 60 * 1000;
let sandbox: Sandbox;
let service: HttpService | undefined;
let keys: ReturnType<typeof writeKeys>;
let audit: HttpAuditEntry[];

beforeEach(() => {
  sandbox = makeSandbox('brutalist-http-flood-');
  keys = writeKeys(sandbox, { alice: ['roast', 'debate'] });
  audit = [];
});
afterEach(async () => {
  await service?.close();
  service = undefined;
  sandbox.cleanup();
});

async function start(overrides: ConfigInput): Promise<HttpService> {
  service = await startService(
    sandbox,
    { apiKeysFile: keys.file, rateLimitWindowMs: HOUR_MS, ...overrides },
    { hooks: { audit: (entry) => audit.push(entry) } },
  );
  return service;
}

const wrong = { authorization: 'Bearer bmk_wrong' };
const rateLimitLines = () => audit.filter((e) => e.event === 'rate_limit');

describe('an address over its budget', () => {
  it('gets the same 429 from prepared bytes, with Connection: close, before its body is read', async () => {
    // One wrong token costs 1 + 20 = 21 of 30 points; the second request is refused by the store.
    const s = await start({ rateLimitIpRequests: 30, rateLimitAuthFailureCost: 20 });
    expect((await raw(s, { body: INITIALIZE, headers: wrong })).status).toBe(401);
    const first = await raw(s, { body: INITIALIZE, headers: wrong });
    expect(first.status).toBe(429);
    // Known spent now: a valid key with a body that is not JSON (400 otherwise) is refused before it is read.
    const fast = await raw(s, {
      body: '{not json',
      headers: { authorization: `Bearer ${keys.tokens.alice}` },
    });
    expect(fast.status).toBe(429);
    expect(fast.headers.connection).toBe('close');
    expect(fast.headers['retry-after']).toBe(first.headers['retry-after']);
    expect(fast.headers.vary).toBe('Origin');
    const { retryAfterMs: firstWait, ...firstData } = first.json().error.data;
    const { retryAfterMs: fastWait, ...fastData } = fast.json().error.data;
    expect(fastData).toEqual(firstData);
    expect(fastData).toMatchObject({ code: 'TOO_MANY_REQUESTS', scope: 'ip' });
    expect(fast.json().error.code).toBe(first.json().error.code);
    expect(fastWait).toBeLessThanOrEqual(firstWait as number);
    // Health stays exempt for the same address.
    expect((await raw(s, { method: 'GET', path: '/healthz' })).status).toBe(200);
  });

  it('leaves one audit line per refusal or a count of them: none is dropped', async () => {
    const s = await start({ rateLimitIpRequests: 21 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await raw(s, { body: INITIALIZE, headers: wrong })).status);
    // The 1st fails authentication (1 + 20 points: spent), the 2nd is refused by the store, 3rd-6th from memory.
    expect(statuses).toEqual([401, 429, 429, 429, 429, 429]);
    expect(rateLimitLines()).toHaveLength(2); // the store's refusal, the first one from memory
    await s.close();
    const lines = rateLimitLines();
    expect(lines.at(-1)).toMatchObject({ decision: 'deny', code: 'TOO_MANY_REQUESTS', repeated: 3 });
    expect(lines.reduce((n, e) => n + (e.repeated ?? 1), 0)).toBe(5);
    expect(new Set(lines.map((e) => e.ip))).toEqual(new Set(['127.0.0.1']));
  });
});

/** A raw TCP connection; resolves once it is open. */
async function socketTo(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

/** Whether the service closes `socket` before answering a request sent on it. */
async function closedUnanswered(socket: Socket, port: number): Promise<boolean> {
  let answered = false;
  socket.on('data', () => {
    answered = true;
  });
  socket.on('error', () => {});
  socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
  await Promise.race([once(socket, 'close'), once(socket, 'data')]);
  return !answered;
}

describe('open connections per address', () => {
  it('closes one more than httpMaxConnectionsPerIp at once, and admits again once one closes', async () => {
    const s = await start({ httpMaxConnectionsPerIp: 2 });
    const held = [await socketTo(s.port), await socketTo(s.port)];
    expect(await closedUnanswered(await socketTo(s.port), s.port)).toBe(true);
    expect(await closedUnanswered(await socketTo(s.port), s.port)).toBe(true);
    held[0]?.destroy();
    await once(held[0]!, 'close');
    const again = await socketTo(s.port);
    expect(await closedUnanswered(again, s.port)).toBe(false);
    again.destroy();
    held[1]?.destroy();
    await s.close();
    const lines = audit.filter((e) => e.event === 'connection');
    expect(lines.reduce((n, e) => n + (e.repeated ?? 1), 0)).toBe(2);
    expect(lines[0]).toMatchObject({ decision: 'deny', code: 'TOO_MANY_CONNECTIONS', ip: '127.0.0.1' });
  });
});

describe('behind a trusted proxy', () => {
  const forwarded = (client: string) => ({ ...wrong, 'x-forwarded-for': `${client}, 127.0.0.1` });

  it('charges the forwarded client address, not the proxy', async () => {
    const s = await start({ rateLimitIpRequests: 21, trustProxy: ['127.0.0.1/8'] });
    expect((await raw(s, { body: INITIALIZE, headers: forwarded('203.0.113.5') })).status).toBe(401);
    expect((await raw(s, { body: INITIALIZE, headers: forwarded('203.0.113.5') })).status).toBe(429);
    expect((await raw(s, { body: INITIALIZE, headers: forwarded('203.0.113.6') })).status).toBe(401);
    expect(audit.map((e) => e.ip)).toEqual(['203.0.113.5', '203.0.113.5', '203.0.113.6']);
  });

  it('ignores X-Forwarded-For from a peer it does not trust', async () => {
    const s = await start({ rateLimitIpRequests: 21 });
    expect((await raw(s, { body: INITIALIZE, headers: forwarded('203.0.113.5') })).status).toBe(401);
    expect((await raw(s, { body: INITIALIZE, headers: forwarded('203.0.113.6') })).status).toBe(429);
    expect(audit.map((e) => e.ip)).toEqual(['127.0.0.1', '127.0.0.1']);
  });
});
