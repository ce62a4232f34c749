import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, OPTIONS, resolveConfig } from '../../src/config/index.js';
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
    expect(config.cliTimeoutMs).toBe(600_000);
    expect(config.killGraceMs).toBe(5_000);
    expect(config.maxOutputBytes).toBe(8 * 1024 * 1024);
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
      /criticPreference must be a list of claude\|codex\|gemini, got "grok"/,
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
