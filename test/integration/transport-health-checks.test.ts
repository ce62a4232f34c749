// The dependency checks behind /readyz and `doctor`, on a real app: no critic installed, every circuit open, the
// state store and Redis reachable or not, and the lines doctor prints.
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type Config, type ConfigInput, resolveConfig } from '../../src/engine/config.js';
import {
  type App,
  createApp,
  criticsCheck,
  formatChecks,
  healthChecks,
  redisCheck,
  storeCheck,
} from '../../src/transport/index.js';
import { fakeCritics, makeSandbox } from '../support/harness.js';
import { deletePrefix, freePort, SHARED_REDIS_URL, uniquePrefix } from '../support/redis.js';

const sandbox = makeSandbox('brutalist-health-checks-');
const apps: App[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.shutdown();
});
afterAll(() => sandbox.cleanup());

/** The config each app was built from (App does not expose it). */
const configs = new WeakMap<App, Config>();
const configOf = (app: App): Config => configs.get(app) as Config;

const MISSING = '/nonexistent/brutalist-critic';

function appWith(overrides: ConfigInput): App {
  const config = resolveConfig({ overrides: fakeCritics(sandbox, { stateStore: 'memory', ...overrides }) });
  const app = createApp(config, {
    env: { PATH: process.env.PATH, HOME: sandbox.home, FAKE_CLI_LOG: sandbox.log },
  });
  apps.push(app);
  configs.set(app, config);
  return app;
}

const onlyClaude = { codexBin: MISSING, geminiBin: MISSING, agyBin: MISSING };

describe('the critics check', () => {
  it('is down when no critic CLI is installed', async () => {
    const app = appWith({ claudeBin: MISSING, ...onlyClaude });
    expect(await criticsCheck(app).run()).toEqual({ status: 'down', detail: 'no critic CLI installed' });
  });

  it('is ok with the installed critics and their versions', async () => {
    const app = appWith(onlyClaude);
    const result = await criticsCheck(app).run();
    expect(result.status).toBe('ok');
    expect(result.detail).toMatch(/^claude \S+$/);
  });

  it('is degraded, not down, when every installed critic has its circuit open', async () => {
    const app = appWith({ ...onlyClaude, breakerWindowSize: 1, breakerMinimumCalls: 1 });
    const { InMemoryTransport } = await import('@modelcontextprotocol/sdk/inMemory.js');
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await app.createServer('local').connect(serverSide);
    const client = new Client({ name: 'health', version: '1.0.0' });
    await client.connect(clientSide);
    await client.callTool({
      name: 'roast',
      arguments: { domain: 'idea', context: 'broken\n@@fake error=server', clis: ['claude'] },
    });
    expect(app.engine.criticStatus('claude').circuit.state).toBe('open');
    const result = await criticsCheck(app).run();
    expect(result.status).toBe('degraded');
    expect(result.detail).toMatch(/^every circuit open: claude \S+$/);
    await client.close();
  });
});

describe('the store and Redis checks', () => {
  it('report the memory store ok and list no Redis check when redisUrl is unset', async () => {
    const app = appWith(onlyClaude);
    expect(await storeCheck(app.engine).run()).toEqual({ status: 'ok', detail: 'memory' });
    expect(healthChecks(configOf(app), app).map((c) => c.name)).toEqual(['critics', 'store']);
  });

  it('report Redis ok when it answers', async () => {
    const prefix = uniquePrefix('health');
    try {
      const app = appWith({
        ...onlyClaude,
        stateStore: 'redis',
        redisUrl: SHARED_REDIS_URL,
        redisKeyPrefix: prefix,
      });
      expect(healthChecks(configOf(app), app).map((c) => c.name)).toEqual(['critics', 'store', 'redis']);
      expect(await redisCheck(app.engine).run()).toEqual({ status: 'ok' });
      expect((await storeCheck(app.engine).run()).status).toBe('ok');
    } finally {
      await deletePrefix(SHARED_REDIS_URL, prefix);
    }
  });

  it('report Redis degraded, "unreachable", when nothing listens at redisUrl', async () => {
    const port = await freePort();
    const app = appWith({
      ...onlyClaude,
      stateStore: 'redis',
      redisUrl: `redis://127.0.0.1:${port}`,
      redisKeyPrefix: uniquePrefix('health-down'),
    });
    expect(await redisCheck(app.engine).run()).toEqual({ status: 'degraded', detail: 'unreachable' });
    const store = await storeCheck(app.engine).run();
    expect(store.status).toBe('degraded');
    expect(store.detail).not.toContain(sandbox.dir);
  });
});

describe('doctor lines', () => {
  it('prints one padded line per check, with the detail in parentheses when there is one', () => {
    expect(formatChecks({ critics: { status: 'ok', detail: 'claude 1.0.0' }, redis: { status: 'ok' } })).toBe(
      'check   critics  ok (claude 1.0.0)\ncheck   redis    ok\n',
    );
  });
});
