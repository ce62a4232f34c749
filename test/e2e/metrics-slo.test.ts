// Metrics and SLOs end to end: the built server over stdio serves /metrics on its loopback port while the real MCP
// client calls tools; after it exits, `slo report` reads the SLO counts it stored in the state file.
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI_JS,
  connectStdio,
  isAlive,
  makeSandbox,
  type Sandbox,
  serverEnv,
  waitFor,
} from '../support/harness.js';

let sandbox: Sandbox;

/** A port free a moment ago (the server binds it right away). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

function cli(env: Record<string, string>, ...args: string[]) {
  return spawnSync(process.execPath, [CLI_JS, ...args], { env, cwd: sandbox.project, encoding: 'utf8' });
}

beforeAll(() => {
  sandbox = makeSandbox('brutalist-metrics-');
});
afterAll(() => sandbox?.cleanup());

describe('metrics port and SLO report (stdio)', () => {
  it('serves the calls it handled on 127.0.0.1/metrics and leaves their SLO counts to `slo report`', async () => {
    const port = await freePort();
    const env = serverEnv(sandbox, { BRUTALIST_METRICS_PORT: String(port) });
    const { client, pid } = await connectStdio(env, sandbox.project);
    const roast = async (args: Record<string, unknown>) =>
      (await client.callTool({ name: 'roast', arguments: args })) as CallToolResult;

    expect((await roast({ domain: 'idea', context: 'Socks by mail', clis: ['codex'] })).isError).toBeFalsy();
    expect((await roast({ domain: 'codebase', target: '/etc', clis: ['codex'] })).isError).toBe(true);

    const url = `http://127.0.0.1:${port}/metrics`;
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const body = await res.text();
    expect(body).toContain('brutalist_requests_total{tool="roast",outcome="ok"} 1');
    expect(body).toContain('brutalist_requests_total{tool="roast",outcome="client_error"} 1');
    expect(body).toContain('brutalist_request_errors_total{tool="roast",code="PATH_OUTSIDE_ROOT"} 1');
    expect(body).toContain('brutalist_critic_runs_total{critic="codex",exit_class="ok"} 1');
    expect(body).toContain('brutalist_request_first_byte_seconds_count{tool="roast"} 1');
    expect(body).toContain('brutalist_critiques_total{domain="idea"} 1');
    expect(body).toContain('brutalist_breaker_state{critic="codex"} 0');
    expect(body).toContain('brutalist_inflight_requests 0');
    expect(body).toMatch(/brutalist_state_operation_duration_seconds_count\{op="put_result"\} [1-9]/);
    expect(body).toContain('brutalist_slo_error_budget_remaining_ratio{slo="availability"} 1');
    expect(body).toContain('brutalist_state_store_up{backend="sqlite"} 1');
    expect(body).toContain('process_resident_memory_bytes');
    expect(body).toContain('nodejs_eventloop_lag_p99_seconds');

    expect((await fetch(url, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(404);

    // stdin EOF: the server drains, stores its SLO counts and exits.
    await client.close();
    expect(await waitFor(() => !isAlive(pid), 10_000)).toBe(true);

    const json = cli(env, 'slo', 'report', '--json');
    expect(json.status, json.stderr).toBe(0);
    const report = JSON.parse(json.stdout) as {
      slos: Array<{ slo: string; budgetEvents: number; budgetBad: number; activeAlerts: string[] }>;
    };
    // The call with a path outside the roots was the caller's mistake: no SLI counts it.
    expect(report.slos.map((s) => [s.slo, s.budgetEvents, s.budgetBad])).toEqual([
      ['availability', 1, 0],
      ['errors', 1, 0],
      ['latency', 1, 0],
    ]);
    const markdown = cli(env, 'slo', 'report');
    expect(markdown.status).toBe(0);
    expect(markdown.stdout).toContain('| availability | 99.90 % | 100.0 % | 1 (0) |');
    expect(markdown.stdout).toContain('No alert is firing.');

    const usage = cli(env, 'slo', 'status');
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('Usage: brutalist-mcp slo report [--json]');
  }, 60_000);

  it('keeps serving MCP when the metrics port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    try {
      const env = serverEnv(sandbox, { BRUTALIST_METRICS_PORT: String(address.port) });
      const { client } = await connectStdio(env, sandbox.project);
      const roster = (await client.callTool({ name: 'cli_agent_roster', arguments: {} })) as CallToolResult;
      expect(roster.isError).toBeFalsy();
      await client.close();
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  }, 30_000);
});
