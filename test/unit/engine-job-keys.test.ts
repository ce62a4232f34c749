// Job keys of a run's critic calls (GuardedCall.jobKey): one per call, counted per critic in call order, and the
// same sequence for a replay of the run, so a queued run's replay joins the jobs already on the queue (ADR 0041).
import { describe, expect, it } from 'vitest';
import type { CriticResult } from '../../src/critics/index.js';
import { resolveConfig } from '../../src/engine/config.js';
import { CriticGuard } from '../../src/engine/guarded-runner.js';
import { ManualClock } from '../../src/infra/index.js';

const result = (critic: CriticResult['critic']): CriticResult => ({
  critic,
  cliVersion: undefined,
  model: undefined,
  argv: [],
  promptSha256: '',
  durationMs: 1,
  exitClass: 'ok',
  outputBytes: 1,
  truncated: false,
  usage: undefined,
  text: 'ok',
});

function guardRecording(keys: Array<string | undefined>): CriticGuard {
  return new CriticGuard({
    config: resolveConfig({ overrides: {} }),
    clock: new ManualClock(1_000),
    pressure: () => ({ eventLoopDelayMs: 0, heapUsedPct: 0, children: 0 }),
    runner: async (critic, _request, options) => {
      keys.push(options.jobKey);
      return result(critic);
    },
  });
}

const place = () => ({
  fileAccess: 'none' as const,
  signal: new AbortController().signal,
  onStdout: () => {},
});

async function runOnce(guard: CriticGuard, runId: string | undefined): Promise<void> {
  const run = guard.runner(guard.callFor(undefined, 'alice', undefined, runId));
  await run('claude', { prompt: 'p' }, place());
  await run('gemini', { prompt: 'p' }, place());
  await run('claude', { prompt: 'p' }, place());
}

describe('job keys of a run', () => {
  it('count each critic’s calls in order, and a replay of the run makes the same keys', async () => {
    const keys: Array<string | undefined> = [];
    const guard = guardRecording(keys);
    await runOnce(guard, 'ctx-1');
    const first = keys.splice(0);
    expect(first).toEqual(['ctx-1-claude-1', 'ctx-1-gemini-1', 'ctx-1-claude-2']);
    await runOnce(guard, 'ctx-1');
    expect(keys).toEqual(first);
    guard.close();
  });

  it('are absent for a call with no run id (each job gets a fresh id)', async () => {
    const keys: Array<string | undefined> = [];
    const guard = guardRecording(keys);
    await runOnce(guard, undefined);
    expect(keys).toEqual([undefined, undefined, undefined]);
    guard.close();
  });
});
