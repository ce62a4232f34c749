/** Store selection: the default SQLite file under the XDG state dir, memory or Redis on request, the cache front. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/engine/config.js';
import { isBrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';
import { CacheFront, createStateStore, defaultStateDir, selectedBackend } from '../../src/state/index.js';
import { createApp } from '../../src/transport/index.js';

const root = mkdtempSync(join(tmpdir(), 'brutalist-factory-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('defaultStateDir', () => {
  it('uses stateDir when set, else $XDG_STATE_HOME/brutalist-mcp, else ~/.local/state/brutalist-mcp', () => {
    expect(defaultStateDir({ stateDir: '/srv/state' }, { XDG_STATE_HOME: '/x' })).toBe('/srv/state');
    expect(defaultStateDir({ stateDir: '' }, { XDG_STATE_HOME: '/x', HOME: '/h' })).toBe('/x/brutalist-mcp');
    expect(defaultStateDir({ stateDir: '' }, { HOME: '/h' })).toBe('/h/.local/state/brutalist-mcp');
  });

  it('ignores a relative XDG_STATE_HOME, as the XDG spec requires', () => {
    expect(defaultStateDir({ stateDir: '' }, { XDG_STATE_HOME: 'rel', HOME: '/h' })).toBe(
      '/h/.local/state/brutalist-mcp',
    );
  });
});

describe('selectedBackend', () => {
  it('is SQLite by default, Redis when a URL is set, and what stateStore names otherwise', () => {
    expect(selectedBackend({ stateStore: 'auto', redisUrl: '' })).toBe('sqlite');
    expect(selectedBackend({ stateStore: 'auto', redisUrl: 'redis://h' })).toBe('redis');
    expect(selectedBackend({ stateStore: 'memory', redisUrl: 'redis://h' })).toBe('memory');
  });

  it('rejects an unknown stateStore at config time', () => {
    let code = '';
    try {
      resolveConfig({ overrides: { stateStore: 'postgres' } });
    } catch (err) {
      code = isBrutalistError(err) ? err.code : String(err);
    }
    expect(code).toBe('CONFIG_INVALID');
  });
});

describe('createStateStore', () => {
  const clock = new ManualClock();

  it('builds the SQLite store in stateDir behind the cache front, reporting backend sqlite', async () => {
    const config = resolveConfig({ overrides: { stateDir: join(root, 'a') } });
    const store = createStateStore(config, { env: {}, clock });
    expect(store).toBeInstanceOf(CacheFront);
    expect(await store.health()).toEqual({ backend: 'sqlite', status: 'ok' });
    await store.close();
  });

  it('builds the bare store when the front and compression are both off', async () => {
    const config = resolveConfig({
      overrides: { stateStore: 'memory', cacheFrontMaxBytes: 0, cacheCompressMinBytes: 0 },
    });
    const store = createStateStore(config, { env: {}, clock });
    expect(store).not.toBeInstanceOf(CacheFront);
    expect((await store.health()).backend).toBe('memory');
    await store.close();
  });

  it('refuses stateStore redis without a redisUrl', () => {
    const config = resolveConfig({ overrides: { stateStore: 'redis' } });
    let code = '';
    try {
      createStateStore(config, { env: {}, clock });
    } catch (err) {
      code = isBrutalistError(err) ? err.code : String(err);
    }
    expect(code).toBe('CONFIG_INVALID');
  });
});

describe('createApp sweeps', () => {
  it('deletes expired state every stateSweepIntervalMs, a bounded batch at a time', async () => {
    const clock = new ManualClock();
    const config = resolveConfig({
      overrides: { stateDir: join(root, 'sweep'), stateSweepIntervalMs: 60_000, stateSweepBatchSize: 2 },
    });
    const app = createApp(config, { env: {}, clock });
    for (let i = 0; i < 5; i++) {
      const conversation = { contextId: `c${i}`, owner: 'o', tool: 'roast', critics: [], turns: [] };
      await app.store.putConversation(conversation, 1_000, 10);
    }
    expect((await app.store.stats()).entries).toBe(5);
    const flush = () => new Promise((r) => setImmediate(r));
    clock.advance(60_000);
    await flush();
    expect((await app.store.stats()).entries).toBe(3);
    clock.advance(60_000);
    await flush();
    clock.advance(60_000);
    await flush();
    expect((await app.store.stats()).entries).toBe(0);
    await app.shutdown();
  });
});
