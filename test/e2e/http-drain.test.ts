// Graceful shutdown of the built `serve --http` under load: critiques admitted before SIGTERM all complete, later
// requests get 503 + Retry-After (never a reset), readiness drops at once, no critic outlives the server, exit 0;
// a hung critic past the grace period is killed; a second signal forces the exit.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { newKey } from '../../src/http/index.js';
import { isAlive, makeSandbox, readLog, serverEnv, waitFor } from '../support/harness.js';
import { spawnHttpServe } from '../support/http.js';

const sandbox = makeSandbox('brutalist-http-drain-');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  sandbox.cleanup();
});

const admin = newKey('ops', ['admin']);
const user = newKey('user', ['roast']);
const keysFile = join(sandbox.dir, 'keys');
writeFileSync(keysFile, admin.line + user.line, { mode: 0o600 });

function serve(extra: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const env = serverEnv(sandbox, {
    BRUTALIST_API_KEYS_FILE: keysFile,
    BRUTALIST_STATE_STORE: 'memory',
    BRUTALIST_WAIT_MS: '60000',
    BRUTALIST_MAX_CONCURRENT: '8',
    BRUTALIST_MAX_CONCURRENT_PER_CRITIC: '8',
    ...extra,
  });
  const { child, url } = spawnHttpServe(sandbox, env);
  children.push(child);
  return url.then((u) => ({ url: u, child }));
}

async function connect(url: string): Promise<Client> {
  const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
    requestInit: { headers: { Authorization: `Bearer ${user.token}` } },
  });
  const client = new Client({ name: 'drain', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

async function inflight(url: string): Promise<number> {
  const r = await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${admin.token}` } });
  return Number(/^brutalist_inflight_requests (\d+)/m.exec(await r.text())?.[1] ?? -1);
}

async function untilReady(url: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if ((await fetch(`${url}/readyz`)).status === 200) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('never ready');
}

const exitOf = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

/** Pids of critic runs (not --version or login probes) the fake CLIs logged. */
const criticPids = () =>
  readLog(sandbox.log)
    .filter((inv) => inv.stdin.length > 0)
    .map((inv) => inv.pid);

describe('SIGTERM on serve --http', () => {
  it('completes every critique admitted before it, refuses later requests with 503, exits 0', async () => {
    const { url, child } = await serve({ BRUTALIST_DRAIN_GRACE_MS: '30000' });
    await untilReady(url);
    const N = 4;
    const clients = await Promise.all(Array.from({ length: N }, () => connect(url)));
    const calls = clients.map(
      (client, i) =>
        client.callTool({
          name: 'roast',
          arguments: {
            domain: 'idea',
            context: `Idea ${i}.\n@@fake delay_ms=1500\n@@fake text=DRAINED-${i}`,
          },
        }) as Promise<CallToolResult>,
    );
    expect(await waitFor(() => criticPids().length >= N, 20_000)).toBe(true);
    while ((await inflight(url)) < N) await new Promise((r) => setTimeout(r, 20));
    const exited = exitOf(child);
    child.kill('SIGTERM');

    let ready = await fetch(`${url}/readyz`);
    while (ready.status === 200) ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ phase: 'draining' });
    const late = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${user.token}`,
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    expect(late.status).toBe(503);
    expect(late.headers.get('retry-after')).toBe('5');
    expect(((await late.json()) as { error: { data: { code: string } } }).error.data.code).toBe(
      'SHUTTING_DOWN',
    );

    const results = await Promise.all(calls);
    results.forEach((result, i) => {
      expect(result.isError).toBeFalsy();
      expect(JSON.stringify(result.content)).toContain(`DRAINED-${i}`);
    });
    expect(await exited).toBe(0);
    for (const pid of criticPids()) expect(isAlive(pid)).toBe(false);
  });

  it('finishes a critique already answered "running" and records it: another instance hands it out', async () => {
    const durable = { BRUTALIST_STATE_STORE: 'sqlite', BRUTALIST_WAIT_MS: '200' };
    const { url, child } = await serve({ ...durable, BRUTALIST_DRAIN_GRACE_MS: '30000' });
    await untilReady(url);
    const client = await connect(url);
    const first = (await client.callTool({
      name: 'roast',
      arguments: { domain: 'idea', context: 'Slow idea.\n@@fake delay_ms=2000\n@@fake text=AFTER-THE-DRAIN' },
    })) as CallToolResult;
    const { status, contextId } = first.structuredContent as { status: string; contextId: string };
    expect(status).toBe('running');
    const exited = exitOf(child);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);

    const next = await connect((await serve(durable)).url);
    const later = (await next.callTool({
      name: 'roast',
      arguments: { context_id: contextId },
    })) as CallToolResult;
    expect(later.structuredContent).toMatchObject({ status: 'done' });
    expect(JSON.stringify(later.content)).toContain('AFTER-THE-DRAIN');
  });

  it('kills a critic still running when the grace period ends, then exits 0', async () => {
    const { url, child } = await serve({ BRUTALIST_DRAIN_GRACE_MS: '300' });
    await untilReady(url);
    const client = await connect(url);
    const before = criticPids().length;
    const call = client
      .callTool({ name: 'roast', arguments: { domain: 'idea', context: 'Hang.\n@@fake hang=1' } })
      .catch((err: unknown) => err);
    expect(await waitFor(() => criticPids().length > before, 20_000)).toBe(true);
    const exited = exitOf(child);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    // The call was answered with an error before the server went (or its connection closed under it).
    const answer = await Promise.race([call, new Promise((r) => setTimeout(() => r('no answer'), 2_000))]);
    expect(answer).not.toBe('no answer');
    const hung = criticPids().slice(before);
    expect(await waitFor(() => hung.every((pid) => !isAlive(pid)), 5_000)).toBe(true);
  });

  it('exits at once with 143 on a second SIGTERM', async () => {
    const { url, child } = await serve({ BRUTALIST_DRAIN_GRACE_MS: '600000' });
    await untilReady(url);
    const client = await connect(url);
    const before = criticPids().length;
    void client
      .callTool({ name: 'roast', arguments: { domain: 'idea', context: 'Hang again.\n@@fake hang=1' } })
      .catch(() => {});
    expect(await waitFor(() => criticPids().length > before, 20_000)).toBe(true);
    const exited = exitOf(child);
    child.kill('SIGTERM');
    let ready = await fetch(`${url}/readyz`);
    while (ready.status === 200) ready = await fetch(`${url}/readyz`);
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
  });
});
