/** RequestStream edge states: failed critics, log-only sinks, coalesced log levels, a closed stream. */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/infra/index.js';
import {
  type LogEntry,
  type ProgressNotice,
  StreamHub,
  type StreamingConfig,
} from '../../src/streaming/index.js';

const settle = () => new Promise((r) => setImmediate(r));

const CONFIG: StreamingConfig = {
  maxEventRate: 2,
  maxGlobalEventRate: 20,
  bufferSize: 8,
  coalescingWindowMs: 250,
  dropPolicy: 'drop-oldest',
  heartbeatMs: 5_000,
};

describe('RequestStream states', () => {
  it('describes a failed critic, plural tool uses, text-only output and a queue position with no wait estimate', async () => {
    const clock = new ManualClock();
    const stream = new StreamHub(CONFIG, clock).open({ progress: async () => {} });
    stream.push({ kind: 'queued', position: 2 });
    expect(stream.describe()).toBe('queued at position 2 (0s elapsed)');
    stream.push({ kind: 'text', critic: 'gemini', chars: 40 });
    stream.push({ kind: 'tool', critic: 'gemini', name: 'Read' });
    stream.push({ kind: 'tool', critic: 'gemini', name: 'Grep' });
    stream.push({ kind: 'usage', critic: 'gemini', outputTokens: 3 });
    stream.push({ kind: 'done', critic: 'gemini', ok: false });
    clock.advance(2_000);
    expect(stream.describe()).toBe('gemini failed: 0.0 KB, 2 tool uses (2s elapsed)');
    stream.close();
  });

  it('sends only log lines to a sink without progress, and arms no heartbeat', async () => {
    const clock = new ManualClock();
    const logs: LogEntry[] = [];
    const stream = new StreamHub(CONFIG, clock).open({ log: async (e) => void logs.push(e) });
    expect(clock.pendingTimers()).toBe(0);
    stream.push({ kind: 'output', critic: 'claude', bytes: 100 });
    stream.push({ kind: 'tool', critic: 'claude', name: 'Read' });
    await settle();
    clock.advance(60_000);
    await settle();
    expect(logs).toEqual([{ level: 'info', text: 'claude used Read' }]);
    expect(stream.close().notificationsSent).toBe(1);
  });

  it('drops log lines when the sink takes no logs, while progress still flows', async () => {
    const clock = new ManualClock();
    const progress: ProgressNotice[] = [];
    const stream = new StreamHub(CONFIG, clock).open({ progress: async (n) => void progress.push(n) });
    stream.log({ level: 'error', text: 'nobody reads this' });
    stream.push({ kind: 'tool', critic: 'codex', name: 'Read' });
    await settle();
    expect(progress.map((p) => p.message)).toEqual(['codex running: 0.0 KB, 1 tool use (0s elapsed)']);
    expect(stream.close()).toEqual({ droppedEvents: 0, notificationsSent: 1 });
  });

  it('merges log lines pending at once into one message at the most severe level among them', async () => {
    const clock = new ManualClock();
    const logs: LogEntry[] = [];
    const stream = new StreamHub(CONFIG, clock).open({ log: async (e) => void logs.push(e) });
    stream.log({ level: 'info', text: 'first' });
    await settle();
    stream.log({ level: 'notice', text: 'a' });
    stream.log({ level: 'error', text: 'b' });
    stream.log({ level: 'warning', text: 'c' });
    clock.advance(1_000);
    await settle();
    expect(logs).toEqual([
      { level: 'info', text: 'first' },
      { level: 'error', text: 'a\nb\nc' },
    ]);
    stream.close();
  });

  it('ignores events and log lines after close, and counts itself closed once in the hub', async () => {
    const clock = new ManualClock();
    const hub = new StreamHub(CONFIG, clock);
    const sent: string[] = [];
    const stream = hub.open({
      progress: async (n) => void sent.push(n.message),
      log: async (e) => void sent.push(e.text),
    });
    stream.close();
    stream.close();
    expect(hub.openStreams).toBe(0);
    stream.push({ kind: 'output', critic: 'claude', bytes: 1 });
    stream.log({ level: 'info', text: 'late' });
    clock.advance(10_000);
    await settle();
    expect(sent).toEqual([]);
    expect(stream.describe()).toBe('starting (10s elapsed)');
  });
});
