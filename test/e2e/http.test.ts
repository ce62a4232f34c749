// `serve --http` and `keys add` as a user runs them: the built CLI, a real port, the real SDK client, fake critics.
import { type ChildProcess, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_JS, makeSandbox, readLog, serverEnv } from '../support/harness.js';
import { spawnHttpServe } from '../support/http.js';

const sandbox = makeSandbox('brutalist-http-e2e-');
const keysFile = join(sandbox.dir, 'keys');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  sandbox.cleanup();
});

const env = (extra: Record<string, string> = {}) =>
  serverEnv(sandbox, { BRUTALIST_API_KEYS_FILE: keysFile, BRUTALIST_STATE_STORE: 'memory', ...extra });

function run(args: string[], extra: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI_JS, ...args], {
    env: env(extra),
    cwd: sandbox.project,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts `serve --http` on a free port; resolves with its URL once it says it listens. */
function serve(
  args: string[],
  extra: Record<string, string> = {},
): Promise<{ url: string; child: ChildProcess }> {
  const { child, url } = spawnHttpServe(sandbox, env(extra), args);
  children.push(child);
  return url.then((u) => ({ url: u, child }));
}

describe('keys add', () => {
  it('prints the token once on stdout and appends only its hash to a 0600 file', () => {
    const r = run(['keys', 'add', 'ci', '--scopes', 'roast']);
    expect(r.code, r.stderr).toBe(0);
    const token = r.stdout.trim();
    expect(token).toMatch(/^bmk_[A-Za-z0-9_-]{43}$/);
    expect(statSync(keysFile).mode & 0o777).toBe(0o600);
    const text = readFileSync(keysFile, 'utf8');
    expect(text).toMatch(/^ci:roast:[0-9a-f]{64}\n$/);
    expect(text).not.toContain(token);
    expect(r.stderr).not.toContain(token);
  });

  it('refuses bad scopes and a repeated name with exit 2', () => {
    expect(run(['keys', 'add', 'x', '--scopes', 'root']).code).toBe(2);
    expect(run(['keys', 'add', 'ci', '--scopes', 'roast']).code).toBe(2);
    expect(run(['keys', 'add', 'y']).code).toBe(2);
  });
});

describe('serve --http', () => {
  it('refuses a non-loopback bind without API keys, naming the fix', () => {
    const r = run(['serve', '--http', '--host', '0.0.0.0', '--port', '0'], { BRUTALIST_API_KEYS_FILE: '' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('CONFIG_INVALID');
    expect(r.stderr).toContain('BRUTALIST_API_KEYS_FILE');
  });

  it('refuses unknown serve options with exit 2', () => {
    expect(run(['serve', '--htttp']).code).toBe(2);
    expect(run(['serve', '--http', '--port', 'x']).code).toBe(2);
  });

  it('serves a roast to the SDK client with a key; the token never reaches the critic or the log', async () => {
    const r = run(['keys', 'add', 'e2e', '--scopes', 'roast,debate']);
    const token = r.stdout.trim();
    const { url, child } = await serve([]);
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const noKey = await fetch(`${url}/mcp`, { method: 'POST', body: '{}' });
    expect(noKey.status).toBe(401);
    const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    });
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(transport);
    try {
      const result = (await client.callTool({
        name: 'roast',
        arguments: { domain: 'idea', context: 'Cats.\n@@fake text=OVER HTTP critique' },
      })) as CallToolResult;
      expect(JSON.stringify(result.content)).toContain('OVER HTTP critique');
    } finally {
      await transport.terminateSession();
      await client.close();
    }
    const invocations = readLog(sandbox.log);
    expect(invocations.length).toBeGreaterThan(0);
    for (const inv of invocations) {
      expect(JSON.stringify(inv.env)).not.toContain(token);
      expect(inv.stdin).not.toContain(token);
    }
    child.kill('SIGTERM');
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(0); // drained: nothing was in flight
    expect(stderr).not.toContain(token);
  });

  it('applies the rate limits and writes the audit log that the environment configures', async () => {
    const token = run(['keys', 'add', 'limited', '--scopes', 'roast']).stdout.trim();
    const auditLog = join(sandbox.dir, 'audit.log');
    const { url, child } = await serve([], {
      BRUTALIST_AUDIT_LOG: auditLog,
      BRUTALIST_RATE_LIMIT_PRINCIPAL_REQUESTS: '2',
      BRUTALIST_RATE_LIMIT_WINDOW_MS: '3600000',
    });
    const probe = () => fetch(`${url}/mcp`, { headers: { Authorization: `Bearer ${token}` } });
    expect([(await probe()).status, (await probe()).status]).toEqual([400, 400]);
    const refused = await probe();
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('exit', resolve));
    const lines = readFileSync(auditLog, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => [l.event, l.principal, l.code, l.status])).toEqual([
      ['session', 'limited', 'SESSION_REQUIRED', 400],
      ['session', 'limited', 'SESSION_REQUIRED', 400],
      ['rate_limit', 'limited', 'TOO_MANY_REQUESTS', 429],
    ]);
    expect(statSync(auditLog).mode & 0o777).toBe(0o600);
  });
});
