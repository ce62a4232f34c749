/** Config edges: printing hides secrets, routed clients from env JSON, cross-option rules and the dollar bound of pairs. */
import { describe, expect, it } from 'vitest';
import { criticIdSchema } from '../../src/config/options-routed.js';
import { printableConfig, resolveConfig } from '../../src/engine/config.js';
import { isBrutalistError } from '../../src/errors/index.js';

function printed(env: NodeJS.ProcessEnv) {
  const out = printableConfig(resolveConfig({ env }));
  return { redisUrl: out.redisUrl, cursorSecret: out.cursorSecret };
}

function errorOf(fn: () => unknown): { code: string; message: string } | undefined {
  try {
    fn();
  } catch (err) {
    if (isBrutalistError(err)) return { code: err.code, message: err.message };
    throw err;
  }
  return undefined;
}

describe('printableConfig', () => {
  it("shows a Redis URL's password and a secret value as <set>, keeping the rest of the URL", () => {
    expect(
      printed({ BRUTALIST_REDIS_URL: 'redis://app:hunter2@cache:6379/0', BRUTALIST_CURSOR_SECRET: 's3cret' }),
    ).toEqual({ redisUrl: 'redis://app:<set>@cache:6379/0', cursorSecret: '<set>' });
  });

  it('shows a URL with no password as it is, and unset secrets as empty', () => {
    expect(printed({ BRUTALIST_REDIS_URL: 'redis://cache:6379' })).toEqual({
      redisUrl: 'redis://cache:6379',
      cursorSecret: '',
    });
  });

  it('shows nothing of a URL value that does not parse (it could hold anything)', () => {
    const out = printableConfig(resolveConfig({ overrides: { redisUrl: 'not a url hunter2' } }));
    expect(out.redisUrl).toBe('<set>');
  });
});

describe('routedClients', () => {
  const client = {
    id: 'gw-one',
    provider: 'claude',
    baseUrl: 'https://gw.example',
    authTokenEnv: 'GW_TOKEN',
    model: 'm-1',
  };

  it('reads BRUTALIST_ROUTED_CLIENTS as a JSON array of clients', () => {
    const config = resolveConfig({ env: { BRUTALIST_ROUTED_CLIENTS: JSON.stringify([client]) } });
    expect(config.routedClients).toEqual([client]);
  });

  it('refuses text that is not JSON with CONFIG_INVALID naming the expected shape, never echoing a parse error', () => {
    const err = errorOf(() => resolveConfig({ env: { BRUTALIST_ROUTED_CLIENTS: '[{id: gw}' } }));
    expect(err?.code).toBe('CONFIG_INVALID');
    expect(err?.message).toMatch(/^routedClients must be a JSON array of \{id, provider: "claude"/);
  });

  it('refuses a client with an unknown key (strict), so a typo is not silently dropped', () => {
    const err = errorOf(() =>
      resolveConfig({ env: { BRUTALIST_ROUTED_CLIENTS: JSON.stringify([{ ...client, modle: 'x' }]) } }),
    );
    expect(err?.code).toBe('CONFIG_INVALID');
    expect(err?.message).toMatch(/^routedClients/);
  });
});

describe('criticIdSchema', () => {
  it('accepts a native critic name or a routed id and refuses anything else', () => {
    expect(criticIdSchema.safeParse('codex').success).toBe(true);
    expect(criticIdSchema.safeParse('gw-one').success).toBe(true);
    expect(criticIdSchema.safeParse('Not An Id').success).toBe(false);
    expect(criticIdSchema.safeParse(7).success).toBe(false);
  });
});

describe('cross-option and pair rules', () => {
  it('refuses execution "queue" without a Redis URL with CONFIG_INVALID naming execution', () => {
    const err = errorOf(() => resolveConfig({ env: { BRUTALIST_EXECUTION: 'queue' } }));
    expect(err?.code).toBe('CONFIG_INVALID');
    expect(err?.message).toMatch(/^execution "queue" needs redisUrl/);
    expect(
      resolveConfig({ env: { BRUTALIST_EXECUTION: 'queue', BRUTALIST_REDIS_URL: 'redis://127.0.0.1:6379' } })
        .execution,
    ).toBe('queue');
  });

  it('refuses a caller budget above the dollar bound (1,000,000), and takes one at it', () => {
    expect(
      errorOf(() => resolveConfig({ env: { BRUTALIST_USAGE_CALLER_DAILY_BUDGETS: 'ci=1000001/10' } }))?.code,
    ).toBe('CONFIG_INVALID');
    expect(
      resolveConfig({ env: { BRUTALIST_USAGE_CALLER_DAILY_BUDGETS: 'ci=1000000/10' } })
        .usageCallerDailyBudgets,
    ).toEqual(['ci=1000000/10']);
  });
});
