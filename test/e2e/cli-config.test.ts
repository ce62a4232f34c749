// `brutalist-mcp config` as a user runs it: every option printed, secrets never (they end up in bug reports).
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { printableConfig, resolveConfig } from '../../src/engine/config.js';
import { CLI_JS, makeSandbox, serverEnv } from '../support/harness.js';

const sandbox = makeSandbox('brutalist-cli-config-');
afterAll(() => sandbox.cleanup());

const CURSOR_SECRET = 'cursor-secret-3f9a1c2e5b7d';
const REDIS_PASSWORD = 'redis-pw-8c1d0e7f';

function config(env: Record<string, string>) {
  const r = spawnSync(process.execPath, [CLI_JS, 'config'], {
    env: { ...serverEnv(sandbox), ...env },
    cwd: sandbox.project,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('brutalist-mcp config', () => {
  it('prints cursorSecret as <set> and the Redis URL with its password as <set>', () => {
    const r = config({
      BRUTALIST_CURSOR_SECRET: CURSOR_SECRET,
      BRUTALIST_REDIS_URL: `rediss://app:${REDIS_PASSWORD}@redis.internal:6380/2`,
      BRUTALIST_STATE_STORE: 'memory',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(CURSOR_SECRET);
    expect(r.stdout).not.toContain(REDIS_PASSWORD);
    const printed = JSON.parse(r.stdout);
    expect(printed.cursorSecret).toBe('<set>');
    expect(printed.redisUrl).toBe('rediss://app:<set>@redis.internal:6380/2');
    expect(printed.pageChars).toBe(90_000);
  });

  it('prints an unset secret as empty, so "not set" and "set" stay distinguishable', () => {
    const printed = JSON.parse(config({}).stdout);
    expect(printed.cursorSecret).toBe('');
    expect(printed.redisUrl).toBe('');
  });

  it('keeps a password-less Redis URL readable and hides one that does not parse', () => {
    const base = resolveConfig();
    expect(printableConfig({ ...base, redisUrl: 'redis://redis.internal:6379' }).redisUrl).toBe(
      'redis://redis.internal:6379',
    );
    expect(printableConfig({ ...base, redisUrl: 'redis://:only-pw@h:1' }).redisUrl).toBe(
      'redis://:<set>@h:1',
    );
    expect(printableConfig({ ...base, redisUrl: 'not a url but maybe a secret' }).redisUrl).toBe('<set>');
  });
});
