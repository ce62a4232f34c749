import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/infra/index.js';
import {
  configureSpawner,
  directLaunch,
  type LaunchEvents,
  type Launcher,
  type LaunchSpec,
  runProcess,
  SPAWNER_LOST,
  spawnerPid,
} from '../../src/process/index.js';
import { eventually, FIXTURES, isGoneOrZombie, killQuietly, nodeSpec } from '../fixtures/proc/helpers.js';

const leftovers: number[] = [];
afterEach(() => {
  leftovers.splice(0).forEach(killQuietly);
  configureSpawner('auto');
});

/** A spec running `/bin/sh -c script`. */
const sh = (script: string) => nodeSpec('print-pid.mjs', [], { command: '/bin/sh', args: ['-c', script] });

describe('the spawner process', () => {
  it('forks critics itself, so this process is never their parent', async () => {
    const r = await runProcess(sh('printf %s "$PPID"'));
    expect(r.exit).toEqual({ kind: 'ok' });
    const parent = Number(r.stdout.toString());
    expect(parent).toBe(spawnerPid());
    expect(parent).not.toBe(process.pid);
  });

  it('is bypassed with spawner off and with a direct launcher', async () => {
    const direct = await runProcess({ ...sh('printf %s "$PPID"'), launch: directLaunch });
    expect(Number(direct.stdout.toString())).toBe(process.pid);
    configureSpawner('off');
    expect(spawnerPid()).toBeUndefined();
    const off = await runProcess(sh('printf %s "$PPID"'));
    expect(Number(off.stdout.toString())).toBe(process.pid);
  });

  it('loses no byte a child writes before its sockets are handed over, and delivers stdin', async () => {
    const runs = await Promise.all(
      Array.from({ length: 20 }, (_, i) => runProcess(sh(`printf 'early ${i}'; cat`))),
    );
    for (const [i, r] of runs.entries()) expect(r.stdout.toString()).toBe(`early ${i}`);
    const echoed = await runProcess(nodeSpec('echo-stdin.mjs', [], { stdin: 'prompt text' }));
    expect(echoed.stdout.toString()).toBe('got:prompt text');
    const big = await runProcess(
      nodeSpec('big-output.mjs', [String(3 * 1024 * 1024)], { maxOutputBytes: 4 << 20 }),
    );
    expect(big.stdoutBytes).toBe(3 * 1024 * 1024);
  });

  it('finishes runs whose child prints nothing and exits at once (its sockets may close before the last arrives)', async () => {
    for (let i = 0; i < 10; i++) {
      const r = await runProcess(sh('exit 3'));
      expect(r.exit).toEqual({ kind: 'exit', code: 3 });
    }
  });

  it('keeps the output of children that print and exit at once, many launched together', async () => {
    const runs = await Promise.all(
      Array.from({ length: 20 }, (_, i) => runProcess(sh(`echo out ${i}; echo err >&2`))),
    );
    for (const [i, r] of runs.entries()) {
      expect(r.exit).toEqual({ kind: 'ok' });
      expect(r.stdout.toString()).toBe(`out ${i}\n`);
      expect(r.stderrTail).toBe('err\n');
    }
  });

  it('reports a spawner that dies mid-run as a spawn error, kills the group, and starts a new one next run', async () => {
    let ready: () => void = () => {};
    const up = new Promise<void>((resolve) => {
      ready = resolve;
    });
    const run = runProcess(nodeSpec('hang.mjs', [], { onStdout: () => ready() }));
    await up;
    const first = spawnerPid();
    expect(first).toBeDefined();
    process.kill(first!, 'SIGKILL');
    const r = await run;
    expect(r.exit).toEqual({ kind: 'spawn_error', errno: SPAWNER_LOST });
    leftovers.push(r.pid!);
    expect(await eventually(() => isGoneOrZombie(r.pid!))).toBe(true);
    const next = await runProcess(sh('printf ok'));
    expect(next.exit).toEqual({ kind: 'ok' });
    expect(spawnerPid()).not.toBe(first);
  });

  it('kills what it started when the server it serves is gone', async () => {
    const host = spawn(process.execPath, ['--import', 'tsx', join(FIXTURES, 'spawner-host.ts')], {
      cwd: join(FIXTURES, '..', '..', '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    leftovers.push(host.pid!);
    const line = await new Promise<string>((resolve) => {
      let seen = '';
      host.stdout.on('data', (c: Buffer) => {
        seen += c.toString();
        if (seen.includes('\n')) resolve(seen.trim());
      });
    });
    const [spawner, child] = line.split(' ').map(Number);
    leftovers.push(spawner!, child!);
    expect(isGoneOrZombie(child!)).toBe(false);
    host.kill('SIGKILL');
    expect(await eventually(() => isGoneOrZombie(child!) && isGoneOrZombie(spawner!))).toBe(true);
  });
});

describe('a launch still pending', () => {
  /** A launcher that holds every request until the test releases it (a spawner slow to answer). */
  function heldLauncher(): { launch: Launcher; release: () => number | undefined } {
    let held: [LaunchSpec, LaunchEvents] | undefined;
    let pid: number | undefined;
    return {
      launch: (spec, events) => {
        held = [spec, events];
      },
      release: () => {
        const [spec, events] = held!;
        directLaunch(spec, {
          ...events,
          spawned: (child) => {
            pid = child.pid;
            events.spawned(child);
          },
        });
        return pid;
      },
    };
  }

  it('ends at the deadline, and the child the launcher reports later is killed before it gets its prompt', async () => {
    const clock = new ManualClock();
    const held = heldLauncher();
    const run = runProcess({ ...nodeSpec('hang.mjs', [], { clock, timeoutMs: 1_000 }), launch: held.launch });
    clock.advance(1_000);
    const r = await run;
    expect(r.exit).toEqual({ kind: 'timeout' });
    expect(r.pid).toBeUndefined();
    expect(clock.pendingTimers()).toBe(0);
    const late = held.release();
    expect(late).toBeDefined();
    leftovers.push(late!);
    expect(await eventually(() => isGoneOrZombie(late!))).toBe(true);
  });

  it('ends at once when aborted', async () => {
    const controller = new AbortController();
    const clock = new ManualClock();
    const held = heldLauncher();
    const run = runProcess({
      ...nodeSpec('hang.mjs', [], { clock, signal: controller.signal }),
      launch: held.launch,
    });
    controller.abort();
    expect((await run).exit).toEqual({ kind: 'cancelled' });
    expect(clock.pendingTimers()).toBe(0);
    const late = held.release();
    leftovers.push(late!);
    expect(await eventually(() => isGoneOrZombie(late!))).toBe(true);
  });
});
