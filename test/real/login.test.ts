// The login checks against the real pinned CLIs in a scratch HOME: logged out, keys in env, saved credentials.
// No model is called: `claude auth status` and `codex login status` only read local state; gemini is files only.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CriticAvailability, CriticLogins } from '../../src/critics/index.js';
import { resolveConfig } from '../../src/engine/config.js';
import type { RealCritic } from '../support/real-clis.js';
import {
  INSTALL_TIMEOUT_MS,
  makeRealSandbox,
  REAL_TEST_TIMEOUT_MS,
  type RealSandbox,
  requireRealClis,
} from '../support/real-clis.js';

let bins: Record<RealCritic, string>;
let sandbox: RealSandbox;

beforeAll(async () => {
  bins = await requireRealClis();
  sandbox = makeRealSandbox('brutalist-login-');
  // A user who never logged in anywhere: no gemini settings, no codex config either (the sandbox's codex config
  // only parses merged with the adapter's -c flags for the stub provider).
  rmSync(join(sandbox.home, '.gemini', 'settings.json'));
  rmSync(join(sandbox.codexHome, 'config.toml'));
}, INSTALL_TIMEOUT_MS);
afterAll(() => sandbox?.cleanup());

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: sandbox.home,
    TMPDIR: sandbox.tmp,
    CODEX_HOME: sandbox.codexHome,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    ...extra,
  };
}

async function logins(extra: Record<string, string> = {}) {
  const config = resolveConfig({
    overrides: {
      claudeBin: bins.claude,
      codexBin: bins.codex,
      geminiBin: bins.gemini,
      probeTimeoutMs: 60_000,
    },
  });
  const availability = new CriticAvailability({ config, env: env(extra) });
  const all = await new CriticLogins({ config, availability, env: env(extra) }).checkAll();
  return Object.fromEntries(all.map((s) => [s.critic, s]));
}

describe('login checks against the real CLIs', () => {
  it(
    'a fresh HOME is logged out everywhere, each with its fix',
    async () => {
      const s = await logins();
      expect(s.claude).toMatchObject({ loggedIn: false, fix: expect.stringContaining('claude auth login') });
      expect(s.codex).toMatchObject({ loggedIn: false, fix: expect.stringContaining('codex login') });
      expect(s.gemini).toMatchObject({ loggedIn: false, fix: expect.stringContaining('GEMINI_API_KEY') });
    },
    REAL_TEST_TIMEOUT_MS,
  );

  it(
    'API keys in the environment count',
    async () => {
      const s = await logins({
        ANTHROPIC_API_KEY: 'sk-ant-test',
        CODEX_API_KEY: 'sk-test',
        GEMINI_API_KEY: 'g-test',
      });
      expect(s.claude).toMatchObject({ loggedIn: true, method: 'API key (ANTHROPIC_API_KEY)' });
      expect(s.codex).toMatchObject({ loggedIn: true, method: 'API key (CODEX_API_KEY)' });
      expect(s.gemini).toMatchObject({ loggedIn: true, method: 'API key (GEMINI_API_KEY)' });
    },
    REAL_TEST_TIMEOUT_MS,
  );

  it(
    'saved credentials count: a Claude account file, a key saved by `codex login`, Google tokens',
    async () => {
      mkdirSync(join(sandbox.home, '.claude'), { recursive: true });
      writeFileSync(
        join(sandbox.home, '.claude', '.credentials.json'),
        JSON.stringify({
          claudeAiOauth: {
            accessToken: 'sk-ant-oat01-test',
            refreshToken: 'sk-ant-ort01-test',
            expiresAt: 4_102_444_800_000,
            scopes: ['user:inference', 'user:profile'],
            subscriptionType: 'max',
          },
        }),
      );
      const saved = spawnSync(bins.codex, ['login', '--with-api-key'], {
        env: env(),
        input: 'sk-test-saved-0123456789\n',
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(saved.status).toBe(0);
      writeFileSync(
        join(sandbox.home, '.gemini', 'settings.json'),
        JSON.stringify({ security: { auth: { selectedType: 'oauth-personal' } } }),
      );
      writeFileSync(join(sandbox.home, '.gemini', 'oauth_creds.json'), '{"refresh_token":"test"}');
      const s = await logins();
      expect(s.claude).toMatchObject({ loggedIn: true, method: 'Claude account (max)' });
      expect(s.codex).toMatchObject({ loggedIn: true, method: 'API key (saved by codex login)' });
      // codex prints a masked key on success; none of it may reach us.
      expect(JSON.stringify(s.codex)).not.toMatch(/sk-|6789/);
      expect(s.gemini).toMatchObject({ loggedIn: true, method: 'Google account' });
    },
    REAL_TEST_TIMEOUT_MS,
  );
});
