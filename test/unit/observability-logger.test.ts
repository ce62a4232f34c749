// The logger: JSON lines with the request id of the async context they come from, secrets never written.
import { channel } from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import {
  CRITIC_FAILURE_CHANNEL,
  type CriticFailureEvent,
  criticFailureChannel,
} from '../../src/critics/diagnostics.js';
import type { ServerLogLevel as LogLevel } from '../../src/engine/config.js';
import { ManualClock } from '../../src/infra/index.js';
import {
  createLogger,
  currentRequest,
  runInRequest,
  subscribeDiagnostics,
} from '../../src/observability/index.js';
import { exitChannel, spawnChannel } from '../../src/process/diagnostics.js';
import { admissionRejectChannel, BREAKER_STATE_CHANNEL, shedChannel } from '../../src/resilience/events.js';
import { flightChannel } from '../../src/state/index.js';

const ENV_SECRET = 'env-secret-1234567890';
/** Request ids are the calls' trace ids, taken from the caller's traceparent when there is one. */
const REQ_1 = '11111111111111111111111111111111';
const REQ_2 = '22222222222222222222222222222222';
const traceparentOf = (traceId: string) => `00-${traceId}-00f067aa0ba902b7-01`;

function capture(level: LogLevel = 'info') {
  const lines: Array<Record<string, unknown>> = [];
  const clock = new ManualClock(1_700_000_000_000);
  const logger = createLogger({
    level,
    env: { SERVICE_API_KEY: ENV_SECRET },
    clock,
    destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
  });
  return { logger, lines, clock };
}

describe('request context', () => {
  it('is undefined outside a request and follows awaits inside one', async () => {
    expect(currentRequest()).toBeUndefined();
    const seen = await runInRequest('roast', async () => {
      await new Promise((r) => setImmediate(r));
      return currentRequest();
    });
    expect(seen?.tool).toBe('roast');
    expect(currentRequest()).toBeUndefined();
  });

  it('keeps concurrent requests apart', async () => {
    const ids = await Promise.all(
      [REQ_1, REQ_2].map((id) =>
        runInRequest(
          'roast',
          async () => {
            await new Promise((r) => setImmediate(r));
            return currentRequest()?.requestId;
          },
          traceparentOf(id),
        ),
      ),
    );
    expect(ids).toEqual([REQ_1, REQ_2]);
  });
});

describe('createLogger', () => {
  it('stamps the request id and tool, and the time from the clock', () => {
    const { logger, lines, clock } = capture();
    clock.advance(5);
    runInRequest('roast', () => logger.info({ event: 'x' }, 'hello'), traceparentOf(REQ_1));
    logger.info('outside');
    expect(lines[0]).toMatchObject({
      requestId: REQ_1,
      tool: 'roast',
      time: 1_700_000_000_005,
      msg: 'hello',
    });
    expect(lines[1]).not.toHaveProperty('requestId');
  });

  it('redacts secret env values and token shapes in fields and messages', () => {
    const { logger, lines } = capture();
    const token = `sk-ant-api03-${'A1b2C3d4'.repeat(6)}`;
    logger.warn({ nested: { stderr: `key ${ENV_SECRET} and ${token}` } }, `msg with ${ENV_SECRET}`);
    const out = JSON.stringify(lines);
    expect(out).not.toContain(ENV_SECRET);
    expect(out).not.toContain(token);
    expect(out).toContain('<redacted>');
  });

  it('drops lines below its level', () => {
    const { logger, lines } = capture('warn');
    logger.info('no');
    logger.warn('yes');
    expect(lines.map((l) => l.msg)).toEqual(['yes']);
  });
});

describe('subscribeDiagnostics', () => {
  it('logs critic failures at warn and breaker openings, and stops at unsubscribe', () => {
    const { logger, lines } = capture('warn');
    const stop = subscribeDiagnostics(logger);
    const failure: CriticFailureEvent = {
      critic: 'codex',
      code: 'CLI_TIMEOUT',
      exitClass: 'timeout',
      durationMs: 1234,
      stderrTail: 'still waiting',
      detail: '',
    };
    runInRequest('roast', () => channel(CRITIC_FAILURE_CHANNEL).publish(failure), traceparentOf(REQ_2));
    channel(BREAKER_STATE_CHANNEL).publish({ name: 'codex', from: 'closed', to: 'open', at: 0, state: {} });
    channel(BREAKER_STATE_CHANNEL).publish({
      name: 'codex',
      from: 'open',
      to: 'half_open',
      at: 0,
      state: {},
    });
    stop();
    channel(CRITIC_FAILURE_CHANNEL).publish(failure);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 40,
      event: 'critic_failure',
      requestId: REQ_2,
      critic: 'codex',
      code: 'CLI_TIMEOUT',
      durationMs: 1234,
      stderrTail: 'still waiting',
    });
    expect(lines[1]).toMatchObject({ level: 40, event: 'breaker_state', to: 'open' });
  });

  it('logs a cancelled critic at info, refusals and shedding at info, process and flight events at debug', () => {
    const { logger, lines } = capture('debug');
    const stop = subscribeDiagnostics(logger);
    try {
      criticFailureChannel.publish({
        critic: 'claude',
        code: 'CANCELLED',
        exitClass: 'signal',
        durationMs: 5,
        stderrTail: '',
        detail: '',
      });
      admissionRejectChannel.publish({ key: 'claude', reason: 'full', priority: 2, queued: 4 });
      shedChannel.publish({ priority: 3, reason: 'heap', level: 1 });
      spawnChannel.publish({ pid: 77, command: 'claude', argCount: 4 });
      flightChannel.publish({ flight: 'f1', role: 'started' });
      flightChannel.publish({ flight: 'f1', role: 'joined' });
      exitChannel.publish({ exit: 'spawn_failed', durationMs: 1, stdoutBytes: 0, truncated: false } as never);
    } finally {
      stop();
    }
    expect(lines.map((l) => [l.level, l.event, l.msg])).toEqual([
      [30, 'critic_failure', 'critic run failed'],
      [30, 'admission_reject', 'request not admitted'],
      [30, 'shed', 'request shed under load'],
      [20, 'process_spawn', 'spawned'],
      [20, 'flight', 'run started'],
      [20, 'flight', 'run shared'],
      [20, 'process_exit', 'process ended'],
    ]);
    expect(lines.at(-1)?.pid).toBeNull();
    // The pressure level never shadows the line's own severity.
    expect(lines[2]).toMatchObject({ level: 30, pressureLevel: 1 });
  });

  it('cuts fields nested deeper than its bound, and passes non-string values through', () => {
    const { logger, lines } = capture();
    logger.info(
      { deep: { a: { b: { c: { d: { e: { f: 'x' } } } } } }, list: [1, null, ENV_SECRET] },
      'nested',
    );
    expect(lines[0]?.deep).toEqual({ a: { b: { c: { d: { e: '<truncated>' } } } } });
    expect(lines[0]?.list).toEqual([1, null, '<redacted>']);
  });
});
