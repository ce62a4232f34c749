import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CRITIC_OPTIONS } from '../../src/config/options-critics.js';
import { EVIDENCE_OPTIONS } from '../../src/config/options-evidence.js';
import { FINDINGS_OPTIONS } from '../../src/config/options-findings.js';
import { GUARD_OPTIONS } from '../../src/config/options-guard.js';
import { HTTP_OPTIONS } from '../../src/config/options-http.js';
import { MEMORY_OPTIONS } from '../../src/config/options-memory.js';
import { OBSERVABILITY_OPTIONS } from '../../src/config/options-observability.js';
import { PROCESS_OPTIONS } from '../../src/config/options-process.js';
import { QUEUE_OPTIONS } from '../../src/config/options-queue.js';
import { RESILIENCE_OPTIONS } from '../../src/config/options-resilience.js';
import { REVIEW_OPTIONS } from '../../src/config/options-review.js';
import { ROUTED_OPTIONS } from '../../src/config/options-routed.js';
import { STATE_OPTIONS } from '../../src/config/options-state.js';
import { TASK_OPTIONS } from '../../src/config/options-tasks.js';
import { USAGE_OPTIONS } from '../../src/config/options-usage.js';
import { ADAPTERS, REGISTRY_OPTIONS } from '../../src/critics/index.js';
import { loadConfig, OPTIONS, ORDER_RULES, resolveConfig } from '../../src/engine/config.js';
import { isBrutalistError } from '../../src/errors/index.js';

const dir = mkdtempSync(join(tmpdir(), 'brutalist-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isBrutalistError(err) ? `${err.code}: ${err.message}` : `not a BrutalistError: ${String(err)}`;
  }
  return undefined;
}

describe('resolveConfig', () => {
  it('fills every option with its documented default and freezes the result', () => {
    const config = resolveConfig();
    for (const [name, spec] of Object.entries(OPTIONS))
      expect(config[name as keyof typeof OPTIONS]).toEqual(spec.default);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.criticPreference)).toBe(true);
    expect(config.cliTimeoutMs).toBe(600_000);
    expect(config.killGraceMs).toBe(5_000);
    expect(config.maxOutputBytes).toBe(8 * 1024 * 1024);
    expect(config.oversizedResultsKept).toBe(8);
  });

  it('applies file < env < overrides', () => {
    const config = resolveConfig({
      file: { cliTimeoutMs: 5_000, stallTimeoutMs: 7_000, killGraceMs: 100 },
      env: { BRUTALIST_STALL_TIMEOUT_MS: '8000', BRUTALIST_KILL_GRACE_MS: '200' },
      overrides: { killGraceMs: 300 },
    });
    expect([config.cliTimeoutMs, config.stallTimeoutMs, config.killGraceMs]).toEqual([5_000, 8_000, 300]);
  });

  it('parses lists from env: critics by comma, roots by the path delimiter', () => {
    const config = resolveConfig({
      env: {
        BRUTALIST_CRITIC_PREFERENCE: 'gemini, claude',
        BRUTALIST_ROOTS: '/a:/b',
        BRUTALIST_EXTRA_ENV: 'X,Y_*',
      },
    });
    expect(config.criticPreference).toEqual(['gemini', 'claude']);
    expect(config.roots).toEqual(['/a', '/b']);
    expect(config.extraEnv).toEqual(['X', 'Y_*']);
  });

  it("freezes a copy of a list it is given, not the caller's array", () => {
    const roots = ['/a'];
    const config = resolveConfig({ overrides: { roots } });
    expect([Object.isFrozen(config.roots), Object.isFrozen(roots), config.roots]).toEqual([
      true,
      false,
      ['/a'],
    ]);
  });

  it('parses booleans from env and rejects anything else', () => {
    expect(resolveConfig({ env: { BRUTALIST_GEMINI_TRUST_WORKSPACE: 'yes' } }).geminiTrustWorkspace).toBe(
      true,
    );
    expect(resolveConfig({ env: { BRUTALIST_GEMINI_TRUST_WORKSPACE: '0' } }).geminiTrustWorkspace).toBe(
      false,
    );
    expect(codeOf(() => resolveConfig({ env: { BRUTALIST_GEMINI_TRUST_WORKSPACE: 'maybe' } }))).toBe(
      'CONFIG_INVALID: geminiTrustWorkspace must be true or false, got "maybe" (string)',
    );
  });

  it('ignores empty env values', () => {
    expect(resolveConfig({ env: { BRUTALIST_CLI_TIMEOUT_MS: '' } }).cliTimeoutMs).toBe(600_000);
  });

  it('names option, expectation, value and type in errors', () => {
    expect(codeOf(() => resolveConfig({ overrides: { killGraceMs: -1 } }))).toBe(
      'CONFIG_INVALID: killGraceMs must be an integer between 0 and 60000, got -1 (number)',
    );
    expect(codeOf(() => resolveConfig({ env: { BRUTALIST_CLI_TIMEOUT_MS: '10m' } }))).toBe(
      'CONFIG_INVALID: cliTimeoutMs must be an integer between 1000 and 7200000, got "10m" (string)',
    );
    expect(codeOf(() => resolveConfig({ overrides: { claudeBin: 3 } }))).toMatch(
      /claudeBin must be a string/,
    );
    expect(codeOf(() => resolveConfig({ overrides: { roots: 'x' } }))).toMatch(
      /roots must be a list of strings/,
    );
    expect(codeOf(() => resolveConfig({ env: { BRUTALIST_CRITIC_PREFERENCE: 'claude,grok' } }))).toMatch(
      /criticPreference must be a list of claude\|codex\|gemini\|agy, got "grok"/,
    );
    expect(codeOf(() => resolveConfig({ env: { BRUTALIST_CRITIC_PREFERENCE: 'claude,claude' } }))).toMatch(
      /distinct/,
    );
    expect(codeOf(() => resolveConfig({ overrides: { criticPreference: [] } }))).toMatch(/non-empty/);
  });

  it('rejects unknown keys in the config file so typos do not fall back silently', () => {
    expect(codeOf(() => resolveConfig({ file: { cliTimeoutMS: 1 } as never }))).toBe(
      'CONFIG_INVALID: unknown config option "cliTimeoutMS"',
    );
  });
});

describe('resolveConfig refuses a bad value of each kind, naming option, expectation and value', () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    [
      'an int out of range',
      { maxConcurrent: 0 },
      'maxConcurrent must be an integer between 1 and 1024, got 0 (number)',
    ],
    [
      'a fraction',
      { maxConcurrent: 1.5 },
      'maxConcurrent must be an integer between 1 and 1024, got 1.5 (number)',
    ],
    [
      'a number that is not one',
      { maxConcurrent: Number.NaN },
      'maxConcurrent must be an integer between 1 and 1024, got NaN (number)',
    ],
    ['a string that is not one', { claudeBin: true }, 'claudeBin must be a string, got true (boolean)'],
    [
      'a choice not listed',
      { sandbox: 'docker' },
      'sandbox must be one of auto|bwrap|off, got "docker" (string)',
    ],
    [
      'a choice of the wrong type',
      { stateStore: 1 },
      'stateStore must be one of auto|sqlite|redis|memory, got 1 (number)',
    ],
    [
      'a boolean as a string',
      { redactInputSecrets: 'true' },
      'redactInputSecrets must be true or false, got "true" (string)',
    ],
    [
      'a list item that is not a string',
      { extraEnv: ['A', 2] },
      'extraEnv must be a list of strings, got 2 (number)',
    ],
    [
      'a critic that does not exist',
      { criticPreference: ['codex', 'grok'] },
      'criticPreference must be a list of claude|codex|gemini|agy, got "grok" (string)',
    ],
    [
      'a critic listed twice',
      { criticPreference: ['codex', 'codex'] },
      'criticPreference must be a non-empty list of distinct claude|codex|gemini|agy, got codex,codex (array)',
    ],
    [
      'a malformed owner=level item',
      { callerPriorities: ['ci=batch', 'ops=urgent'] },
      'callerPriorities must be a list of owner=critical|interactive|default|batch items, got "ops=urgent" (string)',
    ],
    [
      'an owner=level item without an owner',
      { callerPriorities: [' =batch'] },
      'callerPriorities must be a list of owner=critical|interactive|default|batch items, got " =batch" (string)',
    ],
  ];
  for (const [what, overrides, message] of cases) {
    it(`refuses ${what}`, () => {
      expect(codeOf(() => resolveConfig({ overrides }))).toBe(`CONFIG_INVALID: ${message}`);
    });
  }

  it('refuses a URL with credentials without echoing it', () => {
    const err = codeOf(() => resolveConfig({ overrides: { claudeBaseUrl: 'https://u:s3cret@gw.example/' } }));
    expect(err).toBe(
      'CONFIG_INVALID: claudeBaseUrl must be an http(s) URL without user:password (put keys in the API key variable)',
    );
    expect(codeOf(() => resolveConfig({ env: { BRUTALIST_CODEX_BASE_URL: 'ftp://x' } }))).toMatch(
      /^CONFIG_INVALID: codexBaseUrl must be an http\(s\) URL/,
    );
  });

  it('reports the first bad option in table order and puts its name in data.option', () => {
    try {
      resolveConfig({ overrides: { shedMaxChildren: 0, claudeBin: 1 } });
      expect.unreachable();
    } catch (err) {
      expect(isBrutalistError(err) && [err.message, err.data]).toEqual([
        'claudeBin must be a string, got 1 (number)',
        { option: 'claudeBin' },
      ]);
    }
  });
});

describe('resolveConfig rules between options', () => {
  it('has defaults that keep every rule', () => {
    const config = resolveConfig();
    for (const rule of ORDER_RULES) {
      const [value, limit] = [config[rule.option], config[rule.limit]];
      expect(
        rule.is === 'at most' ? value <= limit : value >= limit,
        `${rule.option} ${rule.is} ${rule.limit}`,
      ).toBe(true);
    }
  });

  it('refuses maxConcurrentPerCritic above maxConcurrent instead of clamping it', () => {
    expect(codeOf(() => resolveConfig({ overrides: { maxConcurrent: 4, maxConcurrentPerCritic: 5 } }))).toBe(
      'CONFIG_INVALID: maxConcurrentPerCritic must be at most maxConcurrent (4), got 5 (number)',
    );
    expect(codeOf(() => resolveConfig({ env: { BRUTALIST_MAX_CONCURRENT_PER_CRITIC: '9' } }))).toBe(
      'CONFIG_INVALID: maxConcurrentPerCritic must be at most maxConcurrent (8), got 9 (number)',
    );
  });

  it('refuses breakerMaxRecoveryTimeoutMs below breakerRecoveryTimeoutMs instead of raising it', () => {
    expect(
      codeOf(() =>
        resolveConfig({ file: { breakerRecoveryTimeoutMs: 60_000, breakerMaxRecoveryTimeoutMs: 50_000 } }),
      ),
    ).toBe(
      'CONFIG_INVALID: breakerMaxRecoveryTimeoutMs must be at least breakerRecoveryTimeoutMs (60000), got 50000 (number)',
    );
  });

  it('refuses breakerMinimumCalls above breakerWindowSize', () => {
    expect(codeOf(() => resolveConfig({ overrides: { breakerWindowSize: 5, breakerMinimumCalls: 6 } }))).toBe(
      'CONFIG_INVALID: breakerMinimumCalls must be at most breakerWindowSize (5), got 6 (number)',
    );
  });

  it('refuses retryMaxDelayMs below retryBaseDelayMs', () => {
    expect(
      codeOf(() => resolveConfig({ overrides: { retryBaseDelayMs: 2_000, retryMaxDelayMs: 1_000 } })),
    ).toBe('CONFIG_INVALID: retryMaxDelayMs must be at least retryBaseDelayMs (2000), got 1000 (number)');
  });

  it('refuses cacheMaxEntryBytes above stateMaxBytes', () => {
    const mib = 1024 * 1024;
    expect(
      codeOf(() => resolveConfig({ overrides: { stateMaxBytes: mib, cacheMaxEntryBytes: 2 * mib } })),
    ).toBe(
      `CONFIG_INVALID: cacheMaxEntryBytes must be at most stateMaxBytes (${mib}), got ${2 * mib} (number)`,
    );
  });

  it('lets a default follow the limit the operator set, and only then', () => {
    const config = resolveConfig({
      env: { BRUTALIST_MAX_CONCURRENT: '2', BRUTALIST_BREAKER_WINDOW_SIZE: '3' },
      file: { breakerRecoveryTimeoutMs: 10 * 60_000, retryBaseDelayMs: 45_000, stateMaxBytes: 1024 * 1024 },
    });
    expect([
      config.maxConcurrentPerCritic,
      config.breakerMinimumCalls,
      config.breakerMaxRecoveryTimeoutMs,
      config.retryMaxDelayMs,
      config.cacheMaxEntryBytes,
    ]).toEqual([2, 3, 10 * 60_000, 45_000, 1024 * 1024]);
    expect(Object.isFrozen(config)).toBe(true);
    // The same value set by the operator, not left at its default, is refused.
    expect(
      codeOf(() =>
        resolveConfig({ env: { BRUTALIST_MAX_CONCURRENT: '2', BRUTALIST_MAX_CONCURRENT_PER_CRITIC: '6' } }),
      ),
    ).toMatch(/maxConcurrentPerCritic must be at most maxConcurrent \(2\), got 6/);
  });

  it('refuses maxMessageBytes too small for a context of maxContextChars', () => {
    expect(
      codeOf(() =>
        resolveConfig({ overrides: { maxContextChars: 10_000_000, maxMessageBytes: 16 * 1024 * 1024 } }),
      ),
    ).toMatch(/^CONFIG_INVALID: maxMessageBytes must be at least maxContextChars \* 3 \+ 1048576 = 31048576/);
  });
});

describe('the option tables', () => {
  it('name each option and each env variable once across the areas', () => {
    const areas = [
      REGISTRY_OPTIONS,
      CRITIC_OPTIONS,
      ROUTED_OPTIONS,
      PROCESS_OPTIONS,
      STATE_OPTIONS,
      MEMORY_OPTIONS,
      TASK_OPTIONS,
      FINDINGS_OPTIONS,
      RESILIENCE_OPTIONS,
      QUEUE_OPTIONS,
      HTTP_OPTIONS,
      GUARD_OPTIONS,
      OBSERVABILITY_OPTIONS,
      REVIEW_OPTIONS,
      USAGE_OPTIONS,
      EVIDENCE_OPTIONS,
    ];
    const names = areas.flatMap((area) => Object.keys(area));
    expect(names).toEqual(Object.keys(OPTIONS));
    expect(new Set(names).size).toBe(names.length);
    const envs = Object.values(OPTIONS).map((spec) => spec.env);
    expect(new Set(envs).size).toBe(envs.length);
    expect(envs.every((env) => env.startsWith('BRUTALIST_'))).toBe(true);
  });
});

describe('the critic options', () => {
  it("are the choice among critics plus every adapter's own table, each option named after its critic", () => {
    const own = Object.values(ADAPTERS).flatMap((adapter) => {
      const names = Object.keys(adapter.options);
      expect(names.every((name) => name.startsWith(adapter.name))).toBe(true);
      return names;
    });
    expect(Object.keys(REGISTRY_OPTIONS).sort()).toEqual(['criticPreference', ...own].sort());
  });

  it("reach each adapter's settings: binary, default model and endpoint", () => {
    const config = resolveConfig({
      overrides: { codexBin: '/opt/codex', geminiModel: 'gemini-x', claudeBaseUrl: 'https://gw.example/a' },
    });
    expect(ADAPTERS.codex.settings(config).binary).toBe('/opt/codex');
    expect(ADAPTERS.gemini.settings(config).model).toBe('gemini-x');
    expect(ADAPTERS.claude.settings(config).baseUrl).toBe('https://gw.example/a');
    expect(ADAPTERS.claude.settings(config).model).toBeUndefined();
  });

  it('rejects an override that is no option, as it rejects one in the file', () => {
    expect(codeOf(() => resolveConfig({ overrides: { grokBin: 'x' } as never }))).toBe(
      'CONFIG_INVALID: unknown config option "grokBin"',
    );
  });
});

describe('loadConfig', () => {
  it('reads the file named by BRUTALIST_CONFIG', () => {
    const file = join(dir, 'config.json');
    writeFileSync(file, JSON.stringify({ pageChars: 5_000 }));
    expect(loadConfig({ BRUTALIST_CONFIG: file }).pageChars).toBe(5_000);
  });

  it('fails clearly on a missing explicit file or bad JSON, without echoing the path', () => {
    const missing = join(dir, 'nope.json');
    const err = codeOf(() => loadConfig({ BRUTALIST_CONFIG: missing }));
    expect(err).toBe('CONFIG_INVALID: The config file could not be read.');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{ nope');
    expect(codeOf(() => loadConfig({ BRUTALIST_CONFIG: bad }))).toBe(
      'CONFIG_INVALID: The config file is not valid JSON.',
    );
    writeFileSync(bad, '[1]');
    expect(codeOf(() => loadConfig({ BRUTALIST_CONFIG: bad }))).toBe(
      'CONFIG_INVALID: The config file must hold a JSON object.',
    );
  });

  it('treats a missing default file as empty', () => {
    expect(loadConfig({ XDG_CONFIG_HOME: join(dir, 'empty-xdg') }).cliTimeoutMs).toBe(600_000);
  });
});

describe('the usage options', () => {
  it('take dollar amounts from env strings and refuse malformed budgets and prices, naming the option', () => {
    const ok = resolveConfig({
      env: {
        BRUTALIST_USAGE_DAILY_MAX_USD: '2.50',
        BRUTALIST_USAGE_PRICES: 'codex=1.25/10,gemini=0/0.5',
        BRUTALIST_USAGE_CALLER_DAILY_BUDGETS: 'ci-bot=5/200000',
      },
    });
    expect(ok.usageDailyMaxUsd).toBe(2.5);
    expect(ok.usagePrices).toEqual(['codex=1.25/10', 'gemini=0/0.5']);
    for (const [env, option] of [
      ['BRUTALIST_USAGE_DAILY_MAX_USD', 'usageDailyMaxUsd'],
      ['BRUTALIST_USAGE_PRICES', 'usagePrices'],
      ['BRUTALIST_USAGE_CALLER_DAILY_BUDGETS', 'usageCallerDailyBudgets'],
    ] as const) {
      let message = '';
      try {
        resolveConfig({ env: { [env]: 'codex=ten' } });
      } catch (err) {
        message = String((err as Error).message);
      }
      expect(message).toContain(option);
    }
  });
});
