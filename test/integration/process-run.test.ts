import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { chmodSync, existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock, type TimerHandle } from '../../src/infra/index.js';
import {
  buildChildEnv,
  PROCESS_EXIT_CHANNEL,
  PROCESS_SPAWN_CHANNEL,
  type ProcessExitEvent,
  type ProcessSpawnEvent,
  RECURSION_ENV,
  runProcess,
} from '../../src/process/index.js';
import { FIXTURES, nodeSpec } from '../fixtures/proc/helpers.js';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'brutalist-proc-'));
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

describe('runProcess exit classification', () => {
  it('classifies exit code 0 as ok and reports the pid', async () => {
    const r = await runProcess(nodeSpec('print-pid.mjs'));
    expect(r.exit).toEqual({ kind: 'ok' });
    expect(r.pid).toBe(Number(r.stdout.toString()));
    expect(r.truncated).toBe(false);
  });

  it('classifies a non-zero exit code as exit with that code', async () => {
    const r = await runProcess(nodeSpec('exit-code.mjs', ['3']));
    expect(r.exit).toEqual({ kind: 'exit', code: 3 });
  });

  it('classifies a child killed by a signal the runner did not send as signal', async () => {
    const r = await runProcess(nodeSpec('self-kill.mjs'));
    expect(r.exit).toEqual({ kind: 'signal', signal: 'SIGKILL' });
  });

  it('classifies a command missing from PATH as not_found', async () => {
    const r = await runProcess({
      ...nodeSpec('exit-code.mjs'),
      command: 'brutalist-no-such-cli-7f3a',
      args: [],
    });
    expect(r.exit).toEqual({ kind: 'not_found' });
    expect(r.pid).toBeUndefined();
  });

  it('classifies a non-executable file as spawn_error EACCES', async () => {
    const file = join(tmp, 'not-executable.sh');
    writeFileSync(file, '#!/bin/sh\necho hi\n');
    chmodSync(file, 0o644);
    const r = await runProcess({ ...nodeSpec('exit-code.mjs'), command: file, args: [] });
    expect(r.exit).toEqual({ kind: 'spawn_error', errno: 'EACCES' });
  });

  it('reports a missing cwd as cwd_missing, not as a missing command', async () => {
    const r = await runProcess(nodeSpec('exit-code.mjs', ['0'], { cwd: join(tmp, 'no-such-dir') }));
    expect(r.exit).toEqual({ kind: 'cwd_missing' });
  });

  it('reports a spawn node refuses synchronously (NUL byte in an argument) as spawn_error', async () => {
    const r = await runProcess(nodeSpec('exit-code.mjs', ['a\u0000b']));
    expect(r.exit).toEqual({ kind: 'spawn_error', errno: 'ERR_INVALID_ARG_VALUE' });
    expect(r.pid).toBeUndefined();
  });

  it('returns cancelled without spawning when the signal is already aborted', async () => {
    const spawned: unknown[] = [];
    const onSpawn = (m: unknown) => spawned.push(m);
    subscribe(PROCESS_SPAWN_CHANNEL, onSpawn);
    try {
      const r = await runProcess(nodeSpec('exit-code.mjs', ['0'], { signal: AbortSignal.abort() }));
      expect(r.exit).toEqual({ kind: 'cancelled' });
      expect(r.pid).toBeUndefined();
      expect(spawned).toEqual([]);
    } finally {
      unsubscribe(PROCESS_SPAWN_CHANNEL, onSpawn);
    }
  });

  it('clears every timer it set once the run is over', async () => {
    const clock = new ManualClock();
    const r = await runProcess(nodeSpec('exit-code.mjs', ['0'], { clock }));
    expect(r.exit).toEqual({ kind: 'ok' });
    expect(clock.pendingTimers()).toBe(0);
  });
});

describe('runProcess under bwrap', () => {
  const bwrap = ['/usr/bin/bwrap', '/bin/bwrap'].find((path) => existsSync(path));

  // bwrap's init outlives its parent by a moment and, in a container whose PID 1 never reaps, stays a zombie in
  // the run's group. A runner that took it for a live member would SIGTERM the group and arm a kill timer.
  it.skipIf(bwrap === undefined)(
    'completes a normal exit without signalling or polling what bwrap leaves',
    async () => {
      const clock = new ManualClock();
      const armed: number[] = [];
      const recording = {
        now: () => clock.now(),
        setTimeout: (fn: () => void, ms: number) => {
          armed.push(ms);
          return clock.setTimeout(fn, ms);
        },
        clearTimeout: (handle: TimerHandle) => clock.clearTimeout(handle),
      };
      for (let i = 0; i < 5; i++) {
        armed.length = 0;
        const r = await runProcess(
          nodeSpec('exit-code.mjs', ['0'], {
            clock: recording,
            root: FIXTURES,
            cwd: FIXTURES,
            timeoutMs: 15_000,
            stallTimeoutMs: 14_000,
            killGraceMs: 2_000,
            sandbox: { bwrap: bwrap!, readOnly: [dirname(realpathSync(process.execPath))], writable: [] },
          }),
        );
        expect(r.exit).toEqual({ kind: 'ok' });
        // The deadline, the stall watchdog and one drain check; no kill timer, no group poll.
        expect(armed).toEqual([15_000, 14_000, 2_000]);
        expect(clock.pendingTimers()).toBe(0);
      }
    },
  );
});

describe('runProcess under a sandbox whose setup fails', () => {
  /** A stand-in for bwrap that dies the way bwrap does before it starts the command: one line, exit 1. */
  function fakeBwrap(message: string): string {
    const path = join(tmp, `bwrap-${Math.random().toString(36).slice(2)}`);
    writeFileSync(
      path,
      `#!/bin/sh\nwhile [ "$1" != "--ro-bind-fd" ]; do shift; done\nWORKDIR="$3"\necho "${message}" >&2\nexit 1\n`,
    );
    chmodSync(path, 0o755);
    return path;
  }
  const sandboxed = (bwrap: string) =>
    nodeSpec('exit-code.mjs', ['0'], {
      root: tmp,
      cwd: tmp,
      sandbox: { bwrap, readOnly: [], writable: [] },
    });

  it.each([
    "bwrap: Can't get type of source $WORKDIR: No such file or directory",
    // Renamed inside the root between our pin and bwrap resolving the descriptor (the path bwrap reports).
    "bwrap: Can't get type of source $WORKDIR/parked-dir: No such file or directory",
    "bwrap: Can't find source path /proc/self/fd/3: No such file or directory",
    'bwrap: Race condition binding dirfd',
  ])('reports the working directory moving while bwrap binds it as cwd_missing (%s)', async (message) => {
    const r = await runProcess(sandboxed(fakeBwrap(message)));
    expect(r.exit).toEqual({ kind: 'cwd_missing' });
  });

  it('keeps any other bwrap failure, or the critic printing the line among others, an exit', async () => {
    const other = await runProcess(
      sandboxed(fakeBwrap('bwrap: Creating new namespace failed: Operation not permitted')),
    );
    expect(other.exit).toEqual({ kind: 'exit', code: 1 });
    const wrongDir = await runProcess(
      sandboxed(fakeBwrap("bwrap: Can't get type of source /elsewhere: No such file or directory")),
    );
    expect(wrongDir.exit).toEqual({ kind: 'exit', code: 1 });
    const mixed = await runProcess(sandboxed(fakeBwrap('working\\nbwrap: Race condition binding dirfd')));
    expect(mixed.exit).toEqual({ kind: 'exit', code: 1 });
  });
});

describe('runProcess stdin, argv and env', () => {
  it('delivers stdin to the child and closes it so the child sees EOF', async () => {
    const r = await runProcess(nodeSpec('echo-stdin.mjs', [], { stdin: 'hello critic ✓' }));
    expect(r.exit).toEqual({ kind: 'ok' });
    expect(r.stdout.toString('utf8')).toBe('got:hello critic ✓');
  });

  it('closes stdin at once when no stdin is given', async () => {
    const r = await runProcess(nodeSpec('echo-stdin.mjs'));
    expect(r.stdout.toString('utf8')).toBe('got:');
  });

  it('ignores EPIPE when the child exits without reading stdin', async () => {
    const r = await runProcess(nodeSpec('no-read-exit.mjs', [], { stdin: 'x' }));
    expect(r.exit).toEqual({ kind: 'ok' });
    expect(r.stdout.toString()).toBe('bye');
  });

  it('ignores EPIPE when 1 MB of stdin is never read', async () => {
    const r = await runProcess(nodeSpec('no-read-exit.mjs', [], { stdin: 'y'.repeat(1024 * 1024) }));
    expect(r.exit).toEqual({ kind: 'ok' });
  });

  it('passes arguments verbatim, never through a shell', async () => {
    const tricky = ['$(touch pwned)', '`id`', 'a b;c', '--flag=*', '\'"', ''];
    const r = await runProcess(nodeSpec('print-args.mjs', tricky));
    expect(JSON.parse(r.stdout.toString())).toEqual(tricky);
  });

  it('gives the child exactly the env it was handed, nothing inherited', async () => {
    const env = buildChildEnv({ PATH: process.env.PATH, BRUTALIST_SECRET: 's', OTHER: 'o' }, {});
    const r = await runProcess(nodeSpec('print-env.mjs', [], { env }));
    const seen = JSON.parse(r.stdout.toString()) as Record<string, string>;
    expect(seen).toEqual(env);
    expect(seen[RECURSION_ENV]).toBe('1');
  });
});

describe('runProcess output bounds', () => {
  it('stops a child past maxOutputBytes, keeping exactly the first maxOutputBytes', async () => {
    const cap = 1024 * 1024;
    const streamed: Buffer[] = [];
    const r = await runProcess(
      nodeSpec('big-output.mjs', [String(5 * cap)], {
        maxOutputBytes: cap,
        onStdout: (c) => streamed.push(c),
      }),
    );
    expect(r.exit).toEqual({ kind: 'output_cap' });
    expect(r.truncated).toBe(true);
    expect(r.stdout.length).toBe(cap);
    expect(r.stdoutBytes).toBeGreaterThan(cap);
    const expected = Buffer.alloc(cap);
    for (let i = 0; i < cap; i++) expected[i] = i % 251;
    expect(r.stdout.equals(expected)).toBe(true);
    expect(Buffer.concat(streamed).equals(expected)).toBe(true);
  });

  it('does not treat output of exactly maxOutputBytes as truncated', async () => {
    const r = await runProcess(nodeSpec('big-output.mjs', ['200000'], { maxOutputBytes: 200_000 }));
    expect(r.exit).toEqual({ kind: 'ok' });
    expect(r.truncated).toBe(false);
    expect(r.stdout.length).toBe(200_000);
    expect(r.stdoutBytes).toBe(200_000);
  });

  it('keeps collecting output when the onStdout consumer throws', async () => {
    const r = await runProcess(
      nodeSpec('print-args.mjs', ['x'], {
        onStdout: () => {
          throw new Error('consumer bug');
        },
      }),
    );
    expect(r.exit).toEqual({ kind: 'ok' });
    expect(r.stdout.toString()).toBe('["x"]');
  });

  it('hands every byte to a stdoutSink past maxOutputBytes and keeps none itself', async () => {
    let seen = 0;
    const r = await runProcess(
      nodeSpec('big-output.mjs', ['3000000'], {
        maxOutputBytes: 1000,
        stdoutSink: {
          push: (c) => {
            seen += c.length;
            return true;
          },
        },
      }),
    );
    expect(r.exit).toEqual({ kind: 'ok' });
    expect(seen).toBe(3_000_000);
    expect(r.stdoutBytes).toBe(3_000_000);
    expect(r.stdout.length).toBe(0);
    expect(r.truncated).toBe(false);
  });

  it('stops the group as output_cap when the stdoutSink says it is full, and pushes nothing after', async () => {
    let pushes = 0;
    let afterFull = 0;
    let full = false;
    const r = await runProcess(
      nodeSpec('big-output.mjs', [String(64 * 1024 * 1024)], {
        stdoutSink: {
          push: () => {
            if (full) afterFull++;
            pushes++;
            full = pushes >= 3;
            return !full;
          },
        },
      }),
    );
    expect(r.exit).toEqual({ kind: 'output_cap' });
    expect(r.truncated).toBe(true);
    expect(pushes).toBe(3);
    expect(afterFull).toBe(0);
    expect(r.stdoutBytes).toBeLessThan(64 * 1024 * 1024);
  });

  it('treats a throwing stdoutSink as full', async () => {
    const r = await runProcess(
      nodeSpec('big-output.mjs', [String(64 * 1024 * 1024)], {
        stdoutSink: {
          push: () => {
            throw new Error('sink bug');
          },
        },
      }),
    );
    expect(r.exit).toEqual({ kind: 'output_cap' });
    expect(r.truncated).toBe(true);
  });

  it('keeps only the last maxStderrBytes of stderr', async () => {
    const r = await runProcess(nodeSpec('stderr.mjs', ['flood'], { maxStderrBytes: 1000 }));
    expect(r.exit).toEqual({ kind: 'ok' });
    expect(Buffer.byteLength(r.stderrTail)).toBeLessThanOrEqual(1000);
    expect(Buffer.byteLength(r.stderrTail)).toBeGreaterThan(990);
    expect(r.stderrTail.endsWith('line 4999 é\nEND\n')).toBe(true);
    expect(r.stderrTail).not.toContain('\uFFFD');
  });

  it('decodes invalid UTF-8 in stderr as U+FFFD', async () => {
    const r = await runProcess(nodeSpec('stderr.mjs', ['invalid']));
    expect(r.stderrTail).toBe('a\uFFFD\uFFFDb\uFFFD');
  });
});

describe('runProcess diagnostics events', () => {
  it('publishes spawn with the command basename and exit with the result summary', async () => {
    const spawns: ProcessSpawnEvent[] = [];
    const exits: ProcessExitEvent[] = [];
    const onSpawn = (m: unknown) => spawns.push(m as ProcessSpawnEvent);
    const onExit = (m: unknown) => exits.push(m as ProcessExitEvent);
    subscribe(PROCESS_SPAWN_CHANNEL, onSpawn);
    subscribe(PROCESS_EXIT_CHANNEL, onExit);
    try {
      const r = await runProcess(nodeSpec('print-args.mjs', ['a', 'b']));
      expect(spawns).toEqual([{ pid: r.pid, command: basename(process.execPath), argCount: 3 }]);
      expect(exits).toEqual([
        { pid: r.pid, exit: { kind: 'ok' }, durationMs: r.durationMs, stdoutBytes: 9, truncated: false },
      ]);
    } finally {
      unsubscribe(PROCESS_SPAWN_CHANNEL, onSpawn);
      unsubscribe(PROCESS_EXIT_CHANNEL, onExit);
    }
  });

  it('publishes exit for a spawn failure, with no spawn event', async () => {
    const spawns: unknown[] = [];
    const exits: ProcessExitEvent[] = [];
    const onSpawn = (m: unknown) => spawns.push(m);
    const onExit = (m: unknown) => exits.push(m as ProcessExitEvent);
    subscribe(PROCESS_SPAWN_CHANNEL, onSpawn);
    subscribe(PROCESS_EXIT_CHANNEL, onExit);
    try {
      await runProcess({ ...nodeSpec('exit-code.mjs'), command: 'brutalist-no-such-cli-7f3a' });
      expect(spawns).toEqual([]);
      expect(exits.map((e) => e.exit)).toEqual([{ kind: 'not_found' }]);
    } finally {
      unsubscribe(PROCESS_SPAWN_CHANNEL, onSpawn);
      unsubscribe(PROCESS_EXIT_CHANNEL, onExit);
    }
  });
});
