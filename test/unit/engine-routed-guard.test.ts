// Each routed critic has its own breaker (ADR 0048): a failing gateway opens its own circuit, never claude's or
// another gateway's; per-call critics' breakers are bounded by routedMaxCallCritics.
import { afterEach, describe, expect, it } from 'vitest';
import { type CriticResult, resolveRoutes } from '../../src/critics/index.js';
import { CriticGuard } from '../../src/engine/guarded-runner.js';
import { BrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';
import { fakeConfig } from '../support/harness.js';

const CALM = { eventLoopDelayMs: 0, heapUsedPct: 10, children: 0 };
const env = { A_TOKEN: 'token-aaaaaa', B_TOKEN: 'token-bbbbbb' };
const client = (id: string, tokenEnv: string, baseUrl = `https://${id}.example/`) => ({
  id,
  provider: 'claude',
  baseUrl,
  authTokenEnv: tokenEnv,
  model: `${id}-model`,
});

let guards: CriticGuard[] = [];
afterEach(() => {
  for (const g of guards) g.close();
  guards = [];
});

function setup(maxCall = 64) {
  const config = fakeConfig({
    routedTokenEnvs: ['A_TOKEN', 'B_TOKEN'],
    routedMaxCallCritics: maxCall,
    breakerWindowSize: 4,
    breakerMinimumCalls: 2,
    breakerFailureRatePct: 50,
    retryMaxAttempts: 1,
  });
  const vendors: string[] = [];
  const guard = new CriticGuard({
    config,
    clock: new ManualClock(),
    pressure: () => CALM,
    runner: async (vendor, request): Promise<CriticResult> => {
      vendors.push(vendor);
      if (request.route?.id === 'bad') throw new BrutalistError('CLI_FAILED');
      return {
        critic: request.route?.id ?? vendor,
        cliVersion: '1',
        model: undefined,
        argv: [],
        promptSha256: '',
        durationMs: 1,
        exitClass: 'ok',
        outputBytes: 1,
        truncated: false,
        usage: undefined,
        text: 'ok',
      };
    },
  });
  guards.push(guard);
  const routes = resolveRoutes([client('bad', 'A_TOKEN'), client('good', 'B_TOKEN')], config, env);
  const run = (id: string) =>
    guard
      .runner(guard.callFor(undefined, 'tester', undefined))(
        id as never,
        { prompt: 'p', ...(routes.get(id) ? { route: routes.get(id)! } : {}) },
        { fileAccess: 'none', signal: new AbortController().signal, onStdout: () => {} },
      )
      .then(
        () => 'ok',
        (err: BrutalistError) => err.code,
      );
  return { config, guard, routes, run, vendors };
}

describe('routed critics in the guard', () => {
  it('run as the claude vendor, and a failing gateway opens only its own breaker', async () => {
    const { guard, routes, run, vendors } = setup();
    expect(await run('bad')).toBe('CLI_FAILED');
    expect(await run('bad')).toBe('CLI_FAILED');
    expect(await run('bad')).toBe('CIRCUIT_OPEN');
    expect(vendors.every((v) => v === 'claude')).toBe(true);
    expect(guard.breakerOf('bad' as never, routes).rejecting).toBe(true);
    expect(guard.breakerOf('good' as never, routes).rejecting).toBe(false);
    expect(guard.breakers.claude.rejecting).toBe(false);
    expect(await run('good')).toBe('ok');
    expect(await run('claude')).toBe('ok');
  });

  it('keeps per-call breakers for at most routedMaxCallCritics routes (least recently used dropped)', async () => {
    const { guard, config, run } = setup(1);
    expect(await run('bad')).toBe('CLI_FAILED');
    expect(await run('bad')).toBe('CLI_FAILED');
    // A second per-call route pushes the first one's (open) breaker out; it starts closed when it returns.
    expect(await run('good')).toBe('ok');
    const fresh = resolveRoutes([client('bad', 'A_TOKEN')], config, env);
    expect(guard.breakerOf('bad' as never, fresh).rejecting).toBe(false);
  });
});
