// Login checks: the vendors' status answers read right, gemini's files and env read like Gemini CLI does, and the
// checker runs each status command once per TTL, bounded, with the critic's own environment.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADAPTERS, CriticAvailability, CriticLogins } from '../../src/critics/index.js';
import type { Config } from '../../src/engine/config.js';
import { ManualClock } from '../../src/infra/index.js';
import { fakeConfig, makeSandbox, readLog, waitUntil } from '../support/harness.js';

const claude = ADAPTERS.claude.login.interpret!;
const codex = ADAPTERS.codex.login.interpret!;
const gemini = ADAPTERS.gemini.login.fromFiles!;

describe('claude auth status', () => {
  const status = (json: unknown, exitCode = 0) =>
    claude({ exitCode, stdout: JSON.stringify(json), stderr: '' }, {});

  it.each([
    [{ loggedIn: true, authMethod: 'claude.ai', subscriptionType: 'pro' }, 'Claude account (pro)'],
    [
      { loggedIn: true, authMethod: 'api_key', apiKeySource: 'ANTHROPIC_API_KEY' },
      'API key (ANTHROPIC_API_KEY)',
    ],
    [{ loggedIn: true, authMethod: 'oauth_token' }, 'OAuth token from the environment'],
    [{ loggedIn: true, authMethod: 'api_key_helper' }, 'API key helper (user settings)'],
    [{ loggedIn: true, authMethod: 'third_party', apiProvider: 'bedrock' }, 'cloud provider (bedrock)'],
  ])('%j → %s', (json, method) => {
    expect(status(json)).toEqual({ loggedIn: true, method, fix: null });
  });

  it('logged out: the fix names `claude auth login`', () => {
    expect(status({ loggedIn: false, authMethod: 'none' }, 1)).toMatchObject({
      loggedIn: false,
      fix: expect.stringContaining('claude auth login'),
    });
  });

  it('drops a field that does not look like a plain word instead of echoing it', () => {
    expect(status({ loggedIn: true, authMethod: 'claude.ai', subscriptionType: 'x\u001b[31m' }).method).toBe(
      'Claude account',
    );
  });

  it('output that is not JSON is unknown, not logged out', () => {
    expect(claude({ exitCode: 0, stdout: 'Login method: Claude Max', stderr: '' }, {}).loggedIn).toBeNull();
  });
});

describe('codex login status', () => {
  it('an exit other than "Not logged in" without an env key is unknown', () => {
    expect(codex({ exitCode: 2, stdout: '', stderr: 'error: boom' }, {}).loggedIn).toBeNull();
  });

  it('OPENAI_API_KEY counts when nothing is saved', () => {
    expect(codex({ exitCode: 1, stdout: '', stderr: 'Not logged in' }, { OPENAI_API_KEY: 'k' })).toEqual({
      loggedIn: true,
      method: 'API key (OPENAI_API_KEY)',
      fix: null,
    });
  });
});

describe('gemini files and env', () => {
  let box: ReturnType<typeof makeSandbox>;
  beforeEach(() => {
    box = makeSandbox('brutalist-critics-');
    mkdirSync(join(box.home, '.gemini'));
  });
  afterEach(() => box.cleanup());
  const put = (file: string, text: string) => writeFileSync(join(box.home, file), text);
  const select = (selectedType: string) =>
    put('.gemini/settings.json', JSON.stringify({ security: { auth: { selectedType } } }));
  const check = (env: Record<string, string> = {}) => gemini({ HOME: box.home, ...env });

  it('nothing selected and no key: logged out', () => {
    expect(check()).toMatchObject({ loggedIn: false, fix: expect.stringContaining('GEMINI_API_KEY') });
  });

  it('takes the type from env when settings name none, as Gemini CLI does', () => {
    expect(check({ GEMINI_API_KEY: 'k' })).toMatchObject({
      loggedIn: true,
      method: 'API key (GEMINI_API_KEY)',
    });
    expect(check({ GOOGLE_GENAI_USE_VERTEXAI: 'true' })).toMatchObject({ loggedIn: false });
    expect(
      check({ GOOGLE_GENAI_USE_VERTEXAI: 'true', GOOGLE_CLOUD_PROJECT: 'p', GOOGLE_CLOUD_LOCATION: 'l' }),
    ).toMatchObject({ loggedIn: true, method: 'Vertex AI' });
    expect(check({ GOOGLE_GEMINI_BASE_URL: 'http://127.0.0.1:1' })).toMatchObject({ loggedIn: null });
  });

  it('an API key in ~/.gemini/.env counts; a selected API key with none anywhere is unknown (keychain)', () => {
    select('gemini-api-key');
    expect(check().loggedIn).toBeNull();
    put('.gemini/.env', '# local\nexport GEMINI_API_KEY=abc\n');
    expect(check()).toMatchObject({ loggedIn: true, method: 'API key (GEMINI_API_KEY)' });
  });

  it('GEMINI_CLI_HOME moves the settings, as it does for Gemini CLI', () => {
    const other = join(box.dir, 'other');
    mkdirSync(join(other, '.gemini'), { recursive: true });
    writeFileSync(
      join(other, '.gemini', 'settings.json'),
      JSON.stringify({ security: { auth: { selectedType: 'oauth-personal' } } }),
    );
    writeFileSync(join(other, '.gemini', 'oauth_creds.json'), '{}');
    expect(check({ GEMINI_CLI_HOME: other })).toMatchObject({ loggedIn: true, method: 'Google account' });
  });

  it('settings with comments or an unknown type are not guessed at', () => {
    put('.gemini/settings.json', '{ // comment\n}');
    expect(check().loggedIn).toBeNull();
    select('cloud-shell');
    expect(check().loggedIn).toBe(false);
  });
});

describe('gemini files and env: every login type', () => {
  let box: ReturnType<typeof makeSandbox>;
  beforeEach(() => {
    box = makeSandbox('brutalist-critics-');
    mkdirSync(join(box.home, '.gemini'));
  });
  afterEach(() => box.cleanup());
  const put = (file: string, text: string) => writeFileSync(join(box.home, file), text);
  const check = (env: Record<string, string> = {}) => gemini({ HOME: box.home, ...env });

  it('is unknown without HOME (the settings cannot be found)', () => {
    expect(gemini({})).toMatchObject({ loggedIn: null });
  });

  it('GOOGLE_GENAI_USE_GCA selects the Google login: logged in only with saved tokens', () => {
    expect(check({ GOOGLE_GENAI_USE_GCA: 'true' }).loggedIn).toBe(false);
    put('.gemini/gemini-credentials.json', '{}');
    expect(check({ GOOGLE_GENAI_USE_GCA: 'true' })).toMatchObject({
      loggedIn: true,
      method: 'Google account',
    });
  });

  it('Cloud Shell and compute ADC are unknown until the first critique', () => {
    expect(check({ CLOUD_SHELL: 'true' })).toMatchObject({ loggedIn: null });
    expect(check({ GEMINI_CLI_USE_COMPUTE_ADC: 'true' })).toMatchObject({ loggedIn: null });
  });

  it('a selected API key counts when gemini saved one, or when ~/.env holds it', () => {
    put('.gemini/settings.json', JSON.stringify({ security: { auth: { selectedType: 'gemini-api-key' } } }));
    put('.env', 'GEMINI_API_KEY=abc\n');
    expect(check()).toMatchObject({ loggedIn: true, method: 'API key (GEMINI_API_KEY)' });
    put('.env', '');
    put('.gemini/oauth_creds.json', '{}');
    expect(check()).toMatchObject({ loggedIn: true, method: 'API key (saved by gemini)' });
  });

  it('Vertex AI counts with GOOGLE_API_KEY alone', () => {
    expect(check({ GOOGLE_GENAI_USE_VERTEXAI: 'true', GOOGLE_API_KEY: 'k' })).toMatchObject({
      loggedIn: true,
      method: 'Vertex AI',
    });
  });

  it('a selectedType that is not a string is ignored in favour of the env', () => {
    put('.gemini/settings.json', JSON.stringify({ security: { auth: { selectedType: 7 } } }));
    expect(check({ GEMINI_API_KEY: 'k' })).toMatchObject({
      loggedIn: true,
      method: 'API key (GEMINI_API_KEY)',
    });
  });
});

describe('CriticLogins', () => {
  let box: ReturnType<typeof makeSandbox>;
  beforeEach(() => {
    box = makeSandbox('brutalist-critics-');
  });
  afterEach(() => box.cleanup());

  function logins(config: Config, env: NodeJS.ProcessEnv, clock = new ManualClock()) {
    const availability = new CriticAvailability({ config, env, clock });
    return new CriticLogins({ config, availability, env, clock });
  }

  it('runs each status command once per TTL with the critic env, and again after it', async () => {
    const clock = new ManualClock();
    const env = {
      PATH: process.env.PATH,
      HOME: box.home,
      FAKE_CLI_LOG: box.log,
      BRUTALIST_AUTH_TOKEN: 'secret',
    };
    const checker = logins(fakeConfig({ availabilityTtlMs: 60_000 }), env, clock);
    const [first] = await Promise.all([checker.check('claude'), checker.check('claude'), checker.checkAll()]);
    expect(first).toMatchObject({ critic: 'claude', loggedIn: true, method: 'Claude account (max)' });
    const status = () =>
      readLog(box.log)
        .map((c) => c.argv.join(' '))
        .filter((a) => a !== '--version');
    expect(status().sort()).toEqual(['auth status --json', 'login status']);
    expect(readLog(box.log).every((c) => c.env.BRUTALIST_AUTH_TOKEN === undefined)).toBe(true);
    // Each status command ran in its own private folder (never the shared temp dir itself), removed afterwards.
    const dirs = readLog(box.log)
      .filter((c) => c.argv[0] !== '--version')
      .map((c) => c.cwd);
    expect(new Set(dirs).size).toBe(2);
    for (const dir of dirs) {
      expect(basename(dir)).toMatch(/^brutalist-login-/);
      expect(existsSync(dir)).toBe(false);
    }
    clock.advance(60_000);
    await checker.check('codex');
    expect(status()).toHaveLength(3);
  });

  it('does not run a status command for a critic that is not installed', async () => {
    const env = { PATH: process.env.PATH, HOME: box.home, FAKE_CLI_LOG: box.log };
    const status = await logins(fakeConfig({ codexBin: join(box.dir, 'nope') }), env).check('codex');
    expect(status).toMatchObject({ loggedIn: null, fix: 'the CLI is not installed' });
    expect(readLog(box.log)).toEqual([]);
  });

  it('a status command that hangs is unknown, stopped at probeTimeoutMs', async () => {
    const clock = new ManualClock();
    const env = { PATH: process.env.PATH, HOME: box.home, FAKE_CLI_LOGIN: 'hang', FAKE_CLI_LOG: box.log };
    const checker = logins(fakeConfig({ probeTimeoutMs: 2_000 }), env, clock);
    const pending = checker.check('claude');
    // The --version probe answers at once; the status command logs its start, then hangs until the deadline.
    await waitUntil(() => readLog(box.log).some((c) => c.argv[0] === 'auth'));
    clock.advance(2_000);
    expect(await pending).toMatchObject({
      loggedIn: null,
      fix: 'the status command did not finish (timeout)',
    });
  });
});
