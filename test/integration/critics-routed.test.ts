// Routed critics (ADR 0048) with the fake claude, a real executable that logs the argv and env it got: a routed
// run gets only its own gateway, token, models and config dir; the native run keeps its login and drops ambient routing.
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CriticAvailability, resolveRoutes, runCritic } from '../../src/critics/index.js';
import type { ConfigInput } from '../../src/engine/config.js';
import { privateDirsRemoved } from '../../src/process/index.js';
import { brutalistRejection, fakeConfig, makeSandbox, readLog } from '../support/harness.js';

const GATEWAY_TOKEN = 'glm-gateway-token-123';

let box: ReturnType<typeof makeSandbox>;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  box = makeSandbox('brutalist-routed-');
  env = {
    PATH: process.env.PATH,
    HOME: box.home,
    FAKE_CLI_LOG: box.log,
    // The operator's own login and an ambient gateway: neither may reach a routed critic.
    ANTHROPIC_API_KEY: 'operator-anthropic-key',
    CLAUDE_CODE_OAUTH_TOKEN: 'operator-oauth-token',
    ANTHROPIC_BASE_URL: 'https://ambient.example/anthropic',
    ANTHROPIC_MODEL: 'ambient-model',
    CLAUDE_CODE_USE_BEDROCK: '1',
    AWS_SECRET_ACCESS_KEY: 'operator-aws-secret',
    GLM_TOKEN: GATEWAY_TOKEN,
    OTHER_TOKEN: 'not-allowlisted',
  };
});
afterEach(() => box.cleanup());

function setup(overrides: ConfigInput = {}) {
  const config = fakeConfig({ routedTokenEnvs: ['GLM_TOKEN'], workDir: box.dir, ...overrides });
  return { config, availability: new CriticAvailability({ config, env }), env };
}
const glm = {
  id: 'glm',
  provider: 'claude',
  baseUrl: 'https://gateway.example/api/anthropic',
  authTokenEnv: 'GLM_TOKEN',
  model: 'glm-4.6',
};
const runs = () => readLog(box.log).filter((c) => !c.argv.includes('--version'));

describe('a routed critic run', () => {
  it('gets its gateway, its own token as ANTHROPIC_AUTH_TOKEN, its model everywhere, and nothing of the operator', async () => {
    const deps = setup();
    const route = resolveRoutes([glm], deps.config, env).get('glm')!;
    const result = await runCritic(deps, 'claude', { prompt: 'Critique X.', route }, { fileAccess: 'none' });
    expect(result.critic).toBe('glm');
    expect(result.model).toBeDefined();
    const [call] = runs();
    const got = call!.env;
    expect(got.ANTHROPIC_BASE_URL).toBe(glm.baseUrl);
    expect(got.ANTHROPIC_AUTH_TOKEN === GATEWAY_TOKEN).toBe(true);
    expect(got.ANTHROPIC_MODEL).toBe('glm-4.6');
    expect(got.ANTHROPIC_SMALL_FAST_MODEL).toBe('glm-4.6');
    expect(got.ANTHROPIC_DEFAULT_HAIKU_MODEL).toBe('glm-4.6');
    // Its HOME is its own config dir: nothing resolved under `~` is the operator's.
    expect(got.HOME).toBe(got.CLAUDE_CONFIG_DIR);
    expect(got.HOME).not.toBe(box.home);
    expect(call!.argv.slice(call!.argv.indexOf('--model'), call!.argv.indexOf('--model') + 2)).toEqual([
      '--model',
      'glm-4.6',
    ]);
    // Names only: no operator credential, provider switch or other token reaches the routed run.
    for (const name of [
      'ANTHROPIC_API_KEY',
      'CLAUDE_CODE_OAUTH_TOKEN',
      'CLAUDE_CODE_USE_BEDROCK',
      'AWS_SECRET_ACCESS_KEY',
      'GLM_TOKEN',
      'OTHER_TOKEN',
    ]) {
      expect(Object.keys(got)).not.toContain(name);
    }
    expect(Object.values(got)).not.toContain('operator-anthropic-key');
    expect(Object.values(got)).not.toContain('operator-oauth-token');
  });

  it('runs with a fresh private CLAUDE_CONFIG_DIR (0700) outside HOME, removed after the run', async () => {
    const deps = setup();
    const route = resolveRoutes([glm], deps.config, env).get('glm')!;
    let mode = -1;
    let dir = '';
    await runCritic(
      deps,
      'claude',
      { prompt: 'Critique X.', route },
      {
        fileAccess: 'none',
        onStdout: () => {
          dir = runs()[0]?.env.CLAUDE_CONFIG_DIR ?? dir;
          if (dir && mode < 0) mode = statSync(dir).mode & 0o777;
        },
      },
    );
    dir = runs()[0]!.env.CLAUDE_CONFIG_DIR!;
    expect(dir.startsWith(box.dir)).toBe(true);
    expect(dir.startsWith(join(box.home, '.claude'))).toBe(false);
    expect(mode).toBe(0o700);
    await privateDirsRemoved();
    expect(existsSync(dir)).toBe(false);
  });

  it('uses smallFastModel when given, and a config-file client keeps its own persistent 0700 dir per id', async () => {
    const stateDir = join(box.dir, 'routed-state');
    const deps = setup({
      routedClients: [{ ...glm, id: 'kimi', smallFastModel: 'kimi-small' } as never],
      routedStateDir: stateDir,
    });
    const route = resolveRoutes(undefined, deps.config, env).get('kimi')!;
    expect(route.source).toBe('config');
    await runCritic(deps, 'claude', { prompt: 'Critique X.', route }, { fileAccess: 'none' });
    const got = runs()[0]!.env;
    expect(got.ANTHROPIC_SMALL_FAST_MODEL).toBe('kimi-small');
    expect(got.ANTHROPIC_MODEL).toBe('glm-4.6');
    expect(got.CLAUDE_CONFIG_DIR).toBe(join(stateDir, 'kimi'));
    expect(statSync(join(stateDir, 'kimi')).mode & 0o777).toBe(0o700);
  });
});

describe('a routed critic under bwrap', () => {
  it("sees its own config dir, never the operator's ~/.claude.json", async () => {
    const stateDir = join(box.dir, 'routed-state');
    // The fake logs into the one folder the sandbox shows writable to a routed run: its config dir.
    mkdirSync(join(stateDir, 'kimi'), { recursive: true, mode: 0o700 });
    env.FAKE_CLI_LOG = join(stateDir, 'kimi', 'calls.jsonl');
    const operatorFile = join(box.home, '.claude.json');
    writeFileSync(operatorFile, '{"oauthAccount": "operator"}');
    const deps = setup({
      sandbox: 'bwrap',
      routedClients: [{ ...glm, id: 'kimi' } as never],
      routedStateDir: stateDir,
    });
    const route = resolveRoutes(undefined, deps.config, env).get('kimi')!;
    await runCritic(
      deps,
      'claude',
      { prompt: `p\n@@fake probe_read=${operatorFile}`, route },
      { fileAccess: 'none' },
    );
    const [call] = readLog(env.FAKE_CLI_LOG).filter((c) => !c.argv.includes('--version'));
    expect(call?.probeRead).toBe('ENOENT');
    expect(existsSync(operatorFile)).toBe(true);
  });
});

describe('the native claude run', () => {
  it('keeps the operator login but never picks up an ambient ANTHROPIC_BASE_URL or ANTHROPIC_MODEL', async () => {
    const deps = setup();
    await runCritic(deps, 'claude', { prompt: 'Critique X.' }, { fileAccess: 'none' });
    const got = runs()[0]!.env;
    expect(Object.keys(got)).toContain('ANTHROPIC_API_KEY');
    expect(Object.keys(got)).not.toContain('ANTHROPIC_BASE_URL');
    expect(Object.keys(got)).not.toContain('ANTHROPIC_MODEL');
  });

  it('still takes the gateway the operator configured on purpose (claudeBaseUrl)', async () => {
    const deps = setup({ claudeBaseUrl: 'https://configured.example/anthropic' });
    await runCritic(deps, 'claude', { prompt: 'Critique X.' }, { fileAccess: 'none' });
    expect(runs()[0]!.env.ANTHROPIC_BASE_URL).toBe('https://configured.example/anthropic');
  });
});

describe('resolving clients', () => {
  const resolve =
    (clients: unknown[], overrides: ConfigInput = {}) =>
    () =>
      resolveRoutes(clients, setup(overrides).config, env);
  const codeOf = async (fn: () => unknown) => (await brutalistRejection(Promise.resolve().then(fn))).code;

  it('refuses a token variable that is not allowlisted, with a typed error', async () => {
    const err = await brutalistRejection(
      Promise.resolve().then(resolve([{ ...glm, authTokenEnv: 'ANTHROPIC_API_KEY' }])),
    );
    expect(err.code).toBe('ROUTED_TOKEN_ENV_REFUSED');
    expect(err.data).toEqual({ client: 'glm', authTokenEnv: 'ANTHROPIC_API_KEY' });
    expect(JSON.stringify(err.data) + err.message).not.toContain('operator-anthropic-key');
  });

  it('refuses http to a non-loopback host, credentials in the URL, and a URL outside routedBaseUrls', async () => {
    expect(await codeOf(resolve([{ ...glm, baseUrl: 'http://gateway.example/' }]))).toBe(
      'ROUTED_CLIENT_INVALID',
    );
    expect(await codeOf(resolve([{ ...glm, baseUrl: 'https://u:p@gateway.example/' }]))).toBe(
      'ROUTED_CLIENT_INVALID',
    );
    expect(await codeOf(resolve([glm], { routedBaseUrls: ['https://gateway.example/other'] }))).toBe(
      'ROUTED_CLIENT_INVALID',
    );
    // Loopback http, and a URL under an allowed prefix, pass.
    expect(resolve([{ ...glm, baseUrl: 'http://127.0.0.1:9/x' }])().get('glm')?.baseUrl).toBe(
      'http://127.0.0.1:9/x',
    );
    expect(resolve([glm], { routedBaseUrls: ['https://gateway.example/api'] })().has('glm')).toBe(true);
  });

  it('ignores a configDir from a tool call', () => {
    const route = resolve([{ ...glm, configDir: '/home/victim/.claude' }])().get('glm')!;
    expect(route.configDir).toBeUndefined();
  });

  it('refuses a native name as id, a duplicate id, an unset token and more clients than routedMaxClients', async () => {
    const reasonOf = async (fn: () => unknown) =>
      (await brutalistRejection(Promise.resolve().then(fn))).data.reason;
    expect(await reasonOf(resolve([{ ...glm, id: 'claude' }]))).toBe('id_taken');
    expect(await reasonOf(resolve([glm, glm]))).toBe('duplicate_id');
    expect(
      await reasonOf(
        resolve([{ ...glm, authTokenEnv: 'UNSET_TOKEN' }], { routedTokenEnvs: ['UNSET_TOKEN'] }),
      ),
    ).toBe('token_unset');
    expect(await reasonOf(resolve([glm, { ...glm, id: 'b' }], { routedMaxClients: 1 }))).toBe('too_many');
  });

  it('a queue front needs the token variable allowed but not set (the worker running the critic checks it)', async () => {
    const unset = { ...glm, authTokenEnv: 'UNSET_TOKEN' };
    const queueFront = {
      routedTokenEnvs: ['UNSET_TOKEN'],
      execution: 'queue',
      redisUrl: 'redis://127.0.0.1:6379',
    };
    expect(resolve([unset], queueFront as ConfigInput)().get('glm')?.authTokenEnv).toBe('UNSET_TOKEN');
    // Still refused when the variable is not on the allowlist, queue or not.
    const refused = await brutalistRejection(
      Promise.resolve().then(resolve([unset], { ...queueFront, routedTokenEnvs: ['OTHER'] } as ConfigInput)),
    );
    expect(refused.code).toBe('ROUTED_TOKEN_ENV_REFUSED');
  });
});

describe('resolving clients: the edges', () => {
  const resolve =
    (clients: unknown[] | undefined, overrides: ConfigInput = {}) =>
    () =>
      resolveRoutes(clients, setup(overrides).config, env);
  const rejection = (fn: () => unknown) => brutalistRejection(Promise.resolve().then(fn));

  it('names the client and the field of a malformed client, and no client when its id is not a short string', async () => {
    const bad = await rejection(resolve([{ ...glm, model: 7 }]));
    expect(bad.code).toBe('ROUTED_CLIENT_INVALID');
    expect(bad.data).toEqual({ client: 'glm', reason: 'shape' });
    expect(bad.message).toMatch(/^clients: model must be /);
    const noId = await rejection(resolve([{ ...glm, id: 'x'.repeat(40) }]));
    expect(noId.data).toEqual({ reason: 'shape' });
    const notObject = await rejection(resolve([null]));
    expect(notObject.data).toEqual({ reason: 'shape' });
  });

  it('refuses a baseUrl that is not a URL', async () => {
    const err = await rejection(resolve([{ ...glm, baseUrl: 'not a url' }]));
    expect(err.data).toEqual({ client: 'glm', reason: 'base_url' });
  });

  it('matches routedBaseUrls by origin and path: a malformed prefix allows nothing, "/" allows the whole origin', async () => {
    expect((await rejection(resolve([glm], { routedBaseUrls: ['::bad::'] }))).data.reason).toBe(
      'base_url_not_allowed',
    );
    expect(
      (await rejection(resolve([glm], { routedBaseUrls: ['https://other.example/'] }))).data.reason,
    ).toBe('base_url_not_allowed');
    expect(resolve([glm], { routedBaseUrls: ['https://gateway.example/'] })().has('glm')).toBe(true);
    expect(resolve([glm], { routedBaseUrls: ['https://gateway.example/api/'] })().has('glm')).toBe(true);
  });

  it('returns only the config file clients when the call names none', () => {
    expect([...resolve(undefined)().keys()]).toEqual([]);
  });
});
