// What travels on the queue: priorities, job data checks, results and errors across the process boundary.
import { describe, expect, it } from 'vitest';
import { routeOnWorker } from '../../src/critics/index.js';
import { resolveConfig } from '../../src/engine/config.js';
import { BrutalistError, isBrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';
import {
  decodeError,
  decodeOutcome,
  decodeResult,
  encodeError,
  encodeOutcome,
  encodeResult,
  parseJobData,
  queuePriorityOf,
  requestOf,
} from '../../src/queue/jobs.js';
import { StdoutRelay } from '../../src/queue/stdout-relay.js';

describe('queue jobs', () => {
  it('maps admission levels 0..3 to BullMQ priorities 1..4, clamping anything else', () => {
    expect([0, 1, 2, 3].map(queuePriorityOf)).toEqual([1, 2, 3, 4]);
    expect([-5, 9, 1.7].map(queuePriorityOf)).toEqual([1, 4, 2]);
  });

  it('refuses malformed job data with INTERNAL_ERROR and no host detail', () => {
    const error = (() => {
      try {
        parseJobData({ critic: 'nope', request: {}, fileAccess: 'read', deadlineAt: 1 });
      } catch (err) {
        return err;
      }
    })();
    expect(isBrutalistError(error) && error.code).toBe('INTERNAL_ERROR');
  });

  it('reads well-formed job data back, and a request without a model as the prompt alone', () => {
    const data = parseJobData({
      critic: 'codex',
      request: { prompt: 'review this' },
      fileAccess: 'none',
      deadlineAt: 1_700_000_000_000,
    });
    expect(requestOf(data)).toEqual({ prompt: 'review this' });
    expect(requestOf({ ...data, request: { prompt: 'p', model: 'gpt-5' } })).toEqual({
      prompt: 'p',
      model: 'gpt-5',
    });
  });

  it('turns a failure with no reason into a generic INTERNAL_ERROR', () => {
    expect(decodeError(undefined).code).toBe('INTERNAL_ERROR');
  });

  it('carries a BrutalistError from worker to front with its code, message and data', () => {
    const sent = new BrutalistError('CLI_TIMEOUT', 'claude took too long', { data: { critic: 'claude' } });
    const got = decodeError(`Error: ${encodeError(sent)}`);
    expect([got.code, got.message, got.data]).toEqual([
      'CLI_TIMEOUT',
      'claude took too long',
      { critic: 'claude' },
    ]);
  });

  it('turns a stalled-too-often failure into WORKER_LOST and unknown text into a generic error', () => {
    expect(decodeError('job stalled more than allowable limit').code).toBe('WORKER_LOST');
    const unknown = decodeError('/home/someone/secret path exploded');
    expect(unknown.code).toBe('INTERNAL_ERROR');
    expect(unknown.message).not.toContain('/home');
    expect(decodeError('brutalist:{"code":"NOT_A_CODE","message":"x","data":{}}').code).toBe(
      'INTERNAL_ERROR',
    );
  });

  it('round-trips a critic result through JSON, undefined fields included', () => {
    const result = {
      critic: 'codex' as const,
      cliVersion: undefined,
      model: 'gpt-5',
      argv: ['exec'],
      promptSha256: 'ab',
      durationMs: 5,
      exitClass: 'ok',
      outputBytes: 3,
      truncated: false,
      usage: { inputTokens: 1 },
      text: 'hey',
    };
    expect(decodeResult(JSON.parse(JSON.stringify(encodeResult(result))))).toEqual(result);
    expect(() => decodeResult({ text: 1 })).toThrow(BrutalistError);
  });
});

describe('job replies', () => {
  it('round-trips an answer and a failure through the reply channel text', () => {
    const answer = { ok: true, value: { text: 'fine' } } as const;
    const failure = { ok: false, reason: encodeError(new BrutalistError('CLI_TIMEOUT')) } as const;
    expect(decodeOutcome(encodeOutcome(answer))).toEqual(answer);
    expect(decodeOutcome(encodeOutcome(failure))).toEqual(failure);
  });

  it('ignores a message that is not a reply (the stored outcome answers instead)', () => {
    for (const text of ['', 'not json', '{"ok":false}', '{"ok":"yes","value":1}', '[1]']) {
      expect(decodeOutcome(text)).toBeUndefined();
    }
  });
});

describe('StdoutRelay', () => {
  it('sends at most one message per window, in order, nothing dropped', async () => {
    const clock = new ManualClock();
    const sent: string[] = [];
    const relay = new StdoutRelay(async (b) => sent.push(b.toString()), 250, clock);
    relay.push(Buffer.from('a'));
    relay.push(Buffer.from('b'));
    expect(sent).toEqual([]);
    clock.advance(250);
    relay.push(Buffer.from('c'));
    await relay.flush();
    expect(sent).toEqual(['ab', 'c']);
  });
});

describe('execution config', () => {
  it('refuses queue execution without a Redis URL, naming the option', () => {
    expect(() => resolveConfig({ overrides: { execution: 'queue' } })).toThrow(
      /execution "queue" needs redisUrl/,
    );
    expect(
      resolveConfig({ overrides: { execution: 'queue', redisUrl: 'redis://127.0.0.1:6379' } }).execution,
    ).toBe('queue');
  });
});

describe('a job carrying a routed critic and evidence servers', () => {
  const client = {
    id: 'gw',
    provider: 'claude' as const,
    baseUrl: 'https://gateway.example/anthropic',
    authTokenEnv: 'GW_TOKEN',
    model: 'glm-4.6',
    smallFastModel: 'glm-4.6',
  };
  const job = {
    critic: 'claude',
    request: { prompt: 'p' },
    route: { source: 'call', client },
    fileAccess: 'none',
    evidence: ['playwright'],
    webTools: true,
    deadlineAt: 1,
  };
  const config = resolveConfig({ overrides: { routedTokenEnvs: ['GW_TOKEN'] } });
  const env = { GW_TOKEN: 'tok-12345678' };

  it('keeps the route, the evidence names and web tools when read back', () => {
    expect(parseJobData(job)).toMatchObject({ route: job.route, evidence: ['playwright'], webTools: true });
  });

  it('refuses a carried config dir, a bad evidence name or a non-claude provider', () => {
    const bad = [
      { ...job, route: { source: 'call', client: { ...client, configDir: '/root/.claude' } } },
      { ...job, evidence: ['../../bin/sh'] },
      { ...job, route: { source: 'call', client: { ...client, provider: 'openai' } } },
    ];
    for (const data of bad) expect(() => parseJobData(data)).toThrow('malformed');
  });

  it("checks the route again against the worker's own config and env", () => {
    const route = routeOnWorker({ source: 'call', client }, config, env);
    expect(route).toMatchObject({ id: 'gw', baseUrl: client.baseUrl, source: 'call' });
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        return isBrutalistError(err) ? err.code : 'other';
      }
      return 'none';
    };
    const strict = resolveConfig({ overrides: { routedTokenEnvs: ['OTHER'] } });
    expect(code(() => routeOnWorker({ source: 'call', client }, strict, env))).toBe(
      'ROUTED_TOKEN_ENV_REFUSED',
    );
    expect(code(() => routeOnWorker({ source: 'call', client }, config, {}))).toBe('ROUTED_CLIENT_INVALID');
    // A config-file client the worker's own config does not hold (or holds differently) is refused.
    expect(code(() => routeOnWorker({ source: 'config', client }, config, env))).toBe(
      'ROUTED_CLIENT_INVALID',
    );
    const named = resolveConfig({ overrides: { routedTokenEnvs: ['GW_TOKEN'], routedClients: [client] } });
    expect(routeOnWorker({ source: 'config', client }, named, env).source).toBe('config');
    const moved = { ...client, baseUrl: 'https://elsewhere.example/' };
    expect(code(() => routeOnWorker({ source: 'config', client: moved }, named, env))).toBe(
      'ROUTED_CLIENT_INVALID',
    );
  });
});
