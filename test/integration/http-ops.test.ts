// The operator endpoints of the HTTP service over real HTTP: /healthz, /readyz with its dependency checks, /metrics
// behind the admin scope, the dashboard's login cookie and data, and the drain refusing new MCP requests with 503.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpService } from '../../src/transport/index.js';
import { makeSandbox, type Sandbox } from '../support/harness.js';
import { connectHttp, INITIALIZE, raw, startService, writeKeys } from '../support/http.js';

let sandbox: Sandbox;
let service: HttpService;
let keys: ReturnType<typeof writeKeys>;

beforeAll(async () => {
  sandbox = makeSandbox('brutalist-http-ops-');
  keys = writeKeys(sandbox, { ops: ['admin'], user: ['roast'] });
  // A check that outlives healthCheckTimeoutMs reads `degraded`; on a loaded machine the critics' probes can take
  // longer than the 1 s default, and these tests are about what a finished check reports.
  service = await startService(sandbox, {
    apiKeysFile: keys.file,
    healthCacheMs: 0,
    healthCheckTimeoutMs: 30_000,
  });
  await service.ops.warmedUp;
});
afterAll(async () => {
  await service.close();
  sandbox.cleanup();
});

const bearer = (name: string) => ({ authorization: `Bearer ${keys.tokens[name]}` });

describe('health endpoints', () => {
  it('answers /healthz with liveness only, no auth', async () => {
    const r = await raw(service, { method: 'GET', path: '/healthz' });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toMatchObject({ status: 'ok' });
  });

  it('answers /readyz with each dependency once warmup is done', async () => {
    const r = await raw(service, { method: 'GET', path: '/readyz' });
    expect(r.status).toBe(200);
    const body = JSON.parse(r.text);
    expect(body).toMatchObject({ status: 'ready', phase: 'ready' });
    expect(body.checks.critics.status).toBe('ok');
    expect(body.checks.critics.detail).toContain('claude');
    expect(body.checks.store).toEqual({ status: 'ok', detail: 'memory' });
  });
});

describe('/metrics on the main port', () => {
  it('refuses without a token (401) and without the admin scope (403)', async () => {
    const none = await raw(service, { method: 'GET', path: '/metrics' });
    expect(none.status).toBe(401);
    expect(none.json().error.data.code).toBe('UNAUTHENTICATED');
    const user = await raw(service, { method: 'GET', path: '/metrics', headers: bearer('user') });
    expect(user.status).toBe(403);
    expect(user.json().error.data).toMatchObject({ code: 'INSUFFICIENT_SCOPE', scope: 'admin' });
    expect(user.headers['www-authenticate']).toContain('scope="admin"');
  });

  it('serves the Prometheus text with the names the issue lists to an admin', async () => {
    const { client } = await connectHttp(service, keys.tokens.user);
    await client.callTool({ name: 'roast', arguments: { domain: 'idea', context: 'Scrape me.' } });
    await client.close();
    const r = await raw(service, { method: 'GET', path: '/metrics', headers: bearer('ops') });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toContain('text/plain');
    for (const name of [
      'brutalist_requests_total{tool="roast",outcome="ok"}',
      'brutalist_request_duration_seconds_bucket',
      'brutalist_critic_runs_total',
      'brutalist_breaker_state{critic="claude"}',
      'brutalist_queue_depth',
      'brutalist_inflight_requests',
      'process_resident_memory_bytes',
    ]) {
      expect(r.text).toContain(name);
    }
  });
});

describe('/dashboard', () => {
  it('serves the static page to anyone, its data only to an admin', async () => {
    const page = await raw(service, { method: 'GET', path: '/dashboard' });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const data = await raw(service, { method: 'GET', path: '/dashboard/data' });
    expect(data.status).toBe(401);
    const user = await raw(service, { method: 'GET', path: '/dashboard/data', headers: bearer('user') });
    expect(user.status).toBe(403);
    const admin = await raw(service, { method: 'GET', path: '/dashboard/data', headers: bearer('ops') });
    expect(admin.status).toBe(200);
    expect(JSON.parse(admin.text)).toMatchObject({ readiness: 'ready', golden: { inflight: 0 } });
  });

  it('trades an admin token posted to the login form for an HttpOnly SameSite=Strict cookie on /dashboard', async () => {
    const form = (token: string) => ({
      method: 'POST',
      path: '/dashboard/login',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        origin: `http://127.0.0.1:${service.port}`,
      },
      body: `token=${encodeURIComponent(token)}`,
    });
    const denied = await raw(service, form(keys.tokens.user ?? ''));
    expect(denied.status).toBe(303);
    expect(denied.headers.location).toBe('/dashboard#denied');
    expect(denied.headers['set-cookie']).toBeUndefined();
    const ok = await raw(service, form(keys.tokens.ops ?? ''));
    expect(ok.status).toBe(303);
    const cookie = ok.headers['set-cookie']?.[0] ?? '';
    expect(cookie).toMatch(
      /^brutalist_dashboard=[A-Za-z0-9_-]{43}; Path=\/dashboard; HttpOnly; SameSite=Strict/,
    );
    expect(cookie).not.toContain(keys.tokens.ops);
    const session = cookie.split(';')[0] ?? '';
    const data = await raw(service, { method: 'GET', path: '/dashboard/data', headers: { cookie: session } });
    expect(data.status).toBe(200);
    const out = await raw(service, {
      method: 'GET',
      path: '/dashboard/logout',
      headers: { cookie: session },
    });
    expect(out.headers['set-cookie']?.[0]).toContain('Max-Age=0');
    const after = await raw(service, {
      method: 'GET',
      path: '/dashboard/data',
      headers: { cookie: session },
    });
    expect(after.status).toBe(401);
  });

  it('refuses a login posted from another origin', async () => {
    const r = await raw(service, {
      method: 'POST',
      path: '/dashboard/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'http://evil.example' },
      body: 'token=x',
    });
    expect(r.status).toBe(403);
    expect(r.json().error.data.code).toBe('ORIGIN_NOT_ALLOWED');
  });
});

describe('the admin SLO tool', () => {
  it('is listed and callable with the admin scope only', async () => {
    const { client: user } = await connectHttp(service, keys.tokens.user);
    const userTools = (await user.listTools()).tools.map((t) => t.name);
    expect(userTools).not.toContain('slo_report');
    await user.close();
    const { client: admin } = await connectHttp(service, keys.tokens.ops);
    expect((await admin.listTools()).tools.map((t) => t.name)).toContain('slo_report');
    const markdown = (await admin.callTool({ name: 'slo_report', arguments: {} })) as CallToolResult;
    expect(JSON.stringify(markdown.content)).toContain('# SLO report');
    const json = (await admin.callTool({
      name: 'slo_report',
      arguments: { format: 'json' },
    })) as CallToolResult;
    expect(json.structuredContent).toMatchObject({ budgetDays: 30 });
    await admin.close();
  });
});

describe('drain', () => {
  it('turns readiness off and answers new MCP requests 503 SHUTTING_DOWN with Retry-After', async () => {
    const drained = service.drain(60_000);
    const ready = await raw(service, { method: 'GET', path: '/readyz' }).catch(() => undefined);
    // The drain finds nothing in flight and closes at once; when the probe got in first it saw 503.
    if (ready) expect(ready.status).toBe(503);
    expect(await drained).toEqual({ drained: true, remaining: 0, critiquesSettled: true });
  });
});

describe('drain refusal', () => {
  let second: HttpService;
  beforeAll(async () => {
    second = await startService(sandbox, { apiKeysFile: keys.file, drainRetryAfterMs: 7_000 });
  });
  afterAll(() => second.close());

  it('refuses new MCP requests once draining began', async () => {
    void second.ops.drain.start(60_000);
    second.ops.health.markDraining();
    const r = await raw(second, { body: INITIALIZE, headers: bearer('user') });
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('7');
    expect(r.headers.connection).toBe('close');
    expect(r.json().error.data).toMatchObject({ code: 'SHUTTING_DOWN', retryable: true });
    const ready = await raw(second, { method: 'GET', path: '/readyz' });
    expect(ready.status).toBe(503);
    expect(JSON.parse(ready.text)).toMatchObject({ status: 'not ready', phase: 'draining' });
  });
});
