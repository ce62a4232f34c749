import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CriticAvailability } from '../../src/critics/index.js';
import { ManualClock } from '../../src/infra/index.js';
import { FAKE_BIN, fakeConfig, makeSandbox, readLog, waitUntil } from '../support/harness.js';

describe('CriticAvailability', () => {
  let box: ReturnType<typeof makeSandbox>;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    box = makeSandbox('brutalist-critics-');
    env = {
      PATH: process.env.PATH,
      HOME: box.home,
      FAKE_CLI_LOG: box.log,
      BRUTALIST_AUTH_TOKEN: 'server-secret',
    };
  });
  afterEach(() => box.cleanup());

  it('reports each fake as available with its version and the configured binary', async () => {
    const availability = new CriticAvailability({ config: fakeConfig(), env, clock: new ManualClock() });
    const all = await availability.checkAll();
    expect(all.map((a) => [a.critic, a.available, a.version, a.error])).toEqual([
      ['claude', true, '2.1.197', undefined],
      ['codex', true, '0.169.0', undefined],
      ['gemini', true, '0.61.0', undefined],
      ['agy', true, '1.0.5', undefined],
    ]);
    expect(all[0]?.checkedAt).toBe(new ManualClock().now());
  });

  it('reports the binary as configured (a bare name), never as the resolved absolute path', async () => {
    const config = fakeConfig({ claudeBin: 'claude' });
    const availability = new CriticAvailability({
      config,
      env: { ...env, PATH: `${FAKE_BIN}:${process.env.PATH}` },
    });
    const a = await availability.check('claude');
    expect(a.available).toBe(true);
    expect(a.binary).toBe('claude');
  });

  it('runs exactly one probe per CLI for 20 concurrent first calls', async () => {
    const availability = new CriticAvailability({ config: fakeConfig(), env, clock: new ManualClock() });
    const results = await Promise.all([
      ...Array.from({ length: 20 }, () => availability.check('claude')),
      ...Array.from({ length: 20 }, () => availability.checkAll()).flat(),
    ]);
    expect(results).toHaveLength(40);
    const calls = readLog(box.log);
    expect(calls).toHaveLength(4);
    expect(calls.every((c) => c.argv.join(' ') === '--version')).toBe(true);
  });

  it('serves the cached result within the TTL and probes again once the clock passes it', async () => {
    const clock = new ManualClock();
    const availability = new CriticAvailability({
      config: fakeConfig({ availabilityTtlMs: 60_000 }),
      env,
      clock,
    });
    const first = await availability.check('codex');
    clock.advance(59_999);
    expect(await availability.check('codex')).toBe(first);
    expect(readLog(box.log)).toHaveLength(1);
    clock.advance(1);
    const second = await availability.check('codex');
    expect(readLog(box.log)).toHaveLength(2);
    expect(second.checkedAt).toBe(first.checkedAt + 60_000);
  });

  it('caches failures too', async () => {
    const availability = new CriticAvailability({
      config: fakeConfig(),
      env: { ...env, FAKE_CLI_EXIT_CODE: '3' },
      clock: new ManualClock(),
    });
    const first = await availability.check('gemini');
    expect(first).toMatchObject({ available: false, error: 'CLI_FAILED' });
    expect(first.version).toBeUndefined();
    await availability.check('gemini');
    expect(readLog(box.log)).toHaveLength(1);
  });

  it('probes again after invalidate', async () => {
    const availability = new CriticAvailability({ config: fakeConfig(), env, clock: new ManualClock() });
    await availability.check('claude');
    availability.invalidate('claude');
    await availability.check('claude');
    expect(readLog(box.log)).toHaveLength(2);
  });

  it('reports a missing binary as CLI_NOT_FOUND', async () => {
    const config = fakeConfig({ codexBin: 'brutalist-no-such-codex' });
    const a = await new CriticAvailability({ config, env }).check('codex');
    expect(a).toMatchObject({
      critic: 'codex',
      available: false,
      error: 'CLI_NOT_FOUND',
      binary: 'brutalist-no-such-codex',
    });
  });

  it('reads the version the CLI prints and refuses output that carries none', async () => {
    const ok = await new CriticAvailability({
      config: fakeConfig(),
      env: { ...env, FAKE_CLI_VERSION: '3.0.1' },
    }).check('claude');
    expect(ok.version).toBe('3.0.1');
    const bad = await new CriticAvailability({
      config: fakeConfig(),
      env: { ...env, FAKE_CLI_VERSION: 'unknown' },
    }).check('claude');
    expect(bad).toMatchObject({ available: false, error: 'CLI_OUTPUT_INVALID' });
  });

  it('stops a probe that hangs at probeTimeoutMs (CLI_TIMEOUT)', async () => {
    const clock = new ManualClock();
    const config = fakeConfig({ probeTimeoutMs: 2_000 });
    const availability = new CriticAvailability({ config, env: { ...env, FAKE_CLI_HANG: '1' }, clock });
    const pending = availability.check('claude');
    // The probe resolves the binary first: advance only once the fake is running (it logs before hanging).
    await waitUntil(() => readLog(box.log).length === 1);
    clock.advance(2_000);
    expect(await pending).toMatchObject({ available: false, error: 'CLI_TIMEOUT' });
  });

  it('gives the probe the vendor env and the recursion guard, never the server secrets', async () => {
    await new CriticAvailability({ config: fakeConfig(), env: { ...env, ANTHROPIC_API_KEY: 'k' } }).check(
      'claude',
    );
    const [call] = readLog(box.log);
    expect(call?.env.ANTHROPIC_API_KEY).toBe('k');
    expect(call?.env.BRUTALIST_AUTH_TOKEN).toBeUndefined();
    expect(call?.env.BRUTALIST_CRITIC_DEPTH).toBe('1');
  });
});
