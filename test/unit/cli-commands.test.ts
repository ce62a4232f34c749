// The small CLI commands' edges: `slo` usage and report, `usage --help` and an empty range, `worker` without Redis.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SLO_USAGE, sloCommand } from '../../src/cli/slo.js';
import { usageCommand } from '../../src/cli/usage.js';
import { workerCommand } from '../../src/cli/worker.js';
import { resolveConfig } from '../../src/engine/config.js';
import { isBrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';

const config = resolveConfig({ overrides: { stateStore: 'memory' } });

function writers() {
  const text = { out: '', err: '' };
  return {
    text,
    out: {
      write: (t: string) => {
        text.out += t;
      },
    },
    err: {
      write: (t: string) => {
        text.err += t;
      },
    },
  };
}

describe('sloCommand', () => {
  it.each([[[]], [['list']], [['report', '--yaml']], [['report', '--json', 'extra']]])(
    'prints the usage and exits 2 for %j',
    async (args) => {
      const w = writers();
      expect(await sloCommand(config, args, w.out, w.err, {})).toBe(2);
      expect(w.text).toEqual({ out: '', err: SLO_USAGE });
    },
  );

  it('prints the report as JSON with --json, and as text without', async () => {
    const json = writers();
    expect(await sloCommand(config, ['report', '--json'], json.out, json.err, {})).toBe(0);
    const report = JSON.parse(json.text.out);
    expect(typeof report).toBe('object');
    const text = writers();
    expect(await sloCommand(config, ['report'], text.out, text.err, {})).toBe(0);
    expect(text.text.out).not.toBe('');
    expect(() => JSON.parse(text.text.out)).toThrow();
  });
});

describe('usageCommand', () => {
  const clock = new ManualClock(Date.parse('2026-12-03T15:00:00Z'));

  it('prints its usage for --help and exits 0', async () => {
    const w = writers();
    expect(await usageCommand(config, ['--help'], w.out, w.err, {}, clock)).toBe(0);
    expect(w.text.out).toMatch(/^Usage: brutalist-mcp usage/);
    expect(w.text.err).toBe('');
  });

  it('says no usage was recorded in a range without any', async () => {
    const w = writers();
    expect(await usageCommand(config, ['--since', '2d'], w.out, w.err, {}, clock)).toBe(0);
    expect(w.text.out).toBe('No usage recorded from 2026-12-02 to 2026-12-03 (UTC).\n');
  });

  it('refuses a positional argument with exit 2 and the usage', async () => {
    const w = writers();
    expect(await usageCommand(config, ['today'], w.out, w.err, {}, clock)).toBe(2);
    expect(w.text.err).toContain('usage takes only options.');
  });

  it('names the long form of a flag given a value', async () => {
    const w = writers();
    expect(await usageCommand(config, ['--help=1'], w.out, w.err, {}, clock)).toBe(2);
    expect(w.text.err).toContain('usage does not take --help that way.');
  });
});

describe('workerCommand', () => {
  it('refuses to start without redisUrl: CONFIG_INVALID naming the option', async () => {
    const stderr = new PassThrough();
    const err = await workerCommand(resolveConfig({ overrides: { redisUrl: '' } }), stderr).catch((e) => e);
    expect(isBrutalistError(err) && err.code).toBe('CONFIG_INVALID');
    expect(err.data).toEqual({ option: 'redisUrl' });
    expect(stderr.read()).toBeNull();
  });
});
