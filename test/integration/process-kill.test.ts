import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/infra/index.js';
import {
  activeProcessGroups,
  killAllProcessGroups,
  PROCESS_SPAWN_CHANNEL,
  type ProcessSpawnEvent,
  type RunResult,
  runProcess,
} from '../../src/process/index.js';
import { eventually, FIXTURES, isGoneOrZombie, killQuietly, nodeSpec } from '../fixtures/proc/helpers.js';

let tmp: string;
const leftovers: number[] = [];
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'brutalist-kill-'));
});
afterEach(() => {
  leftovers.splice(0).forEach(killQuietly);
});
afterAll(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** Calls `fn` the first time the child's stdout contains `marker`. */
function onMarker(marker: string, fn: () => void): (chunk: Buffer) => void {
  let seen = '';
  let fired = false;
  return (chunk) => {
    seen += chunk.toString();
    if (!fired && seen.includes(marker)) {
      fired = true;
      fn();
    }
  };
}

function readPid(file: string): number {
  const pid = Number(readFileSync(file, 'utf8'));
  leftovers.push(pid);
  return pid;
}

describe('runProcess kill triggers', () => {
  it('kills the child at the hard deadline and classifies timeout', async () => {
    const clock = new ManualClock();
    const r = await runProcess(
      nodeSpec('hang.mjs', [], {
        clock,
        timeoutMs: 1_000,
        onStdout: onMarker('ready', () => clock.advance(1_000)),
      }),
    );
    expect(r.exit).toEqual({ kind: 'timeout' });
    expect(r.durationMs).toBe(1_000);
  });

  it('kills a child that goes quiet for stallTimeoutMs and classifies stalled', async () => {
    const r = await runProcess(nodeSpec('print-once.mjs', [], { stallTimeoutMs: 300, killGraceMs: 300 }));
    expect(r.exit).toEqual({ kind: 'stalled' });
    expect(r.stdout.toString()).toBe('hello\n');
  });

  it('does not stall a child that keeps printing, even when the total run exceeds stallTimeoutMs', async () => {
    const clock = new ManualClock();
    let advancedMs = 0;
    const r = await runProcess(
      nodeSpec('ticker.mjs', ['8', '50'], {
        clock,
        stallTimeoutMs: 300,
        // Each output chunk moves time 200 ms: never 300 ms of silence, but well past 300 ms in total.
        onStdout: () => {
          clock.advance(200);
          advancedMs += 200;
        },
      }),
    );
    expect(r.exit).toEqual({ kind: 'ok' });
    expect(advancedMs).toBeGreaterThan(300);
    expect(r.stdout.toString()).toContain('tick 7');
  });

  it('classifies an abort mid-run as cancelled', async () => {
    const controller = new AbortController();
    const r = await runProcess(
      nodeSpec('hang.mjs', [], {
        signal: controller.signal,
        onStdout: onMarker('ready', () => controller.abort()),
      }),
    );
    expect(r.exit).toEqual({ kind: 'cancelled' });
  });

  it('lets the first trigger win the classification', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    const r = await runProcess(
      nodeSpec('hang.mjs', ['ignore-term'], {
        clock,
        signal: controller.signal,
        timeoutMs: 1_000,
        killGraceMs: 500,
        onStdout: onMarker('ready', () => {
          controller.abort();
          clock.advance(1_000); // deadline passes while the group is already being killed
        }),
      }),
    );
    expect(r.exit).toEqual({ kind: 'cancelled' });
  });

  it('SIGKILLs a child that ignores SIGTERM once killGraceMs has passed', async () => {
    const clock = new ManualClock();
    const controller = new AbortController();
    let sawTerm = false;
    const r = await runProcess(
      nodeSpec('hang.mjs', ['ignore-term'], {
        clock,
        signal: controller.signal,
        killGraceMs: 500,
        onStdout: (chunk) => {
          const text = chunk.toString();
          if (text.includes('ready')) controller.abort();
          if (text.includes('term')) {
            sawTerm = true; // SIGTERM arrived and was ignored; only the SIGKILL after the grace can end it
            clock.advance(500);
          }
        },
      }),
    );
    expect(sawTerm).toBe(true);
    expect(r.exit).toEqual({ kind: 'cancelled' });
  });
});

describe('runProcess process-group cleanup', () => {
  it('kills the whole group on cancel, grandchild included', async () => {
    const pidFile = join(tmp, 'gc-cancel.pid');
    const controller = new AbortController();
    const r = await runProcess(
      nodeSpec('grandchild.mjs', [pidFile, 'stay', 'none', 'default'], {
        signal: controller.signal,
        onStdout: onMarker('ready', () => controller.abort()),
      }),
    );
    expect(r.exit).toEqual({ kind: 'cancelled' });
    const gc = readPid(pidFile);
    expect(await eventually(() => isGoneOrZombie(r.pid!) && isGoneOrZombie(gc))).toBe(true);
  });

  it('kills grandchildren the leader left running when it exited on its own', async () => {
    const pidFile = join(tmp, 'gc-orphan.pid');
    const r = await runProcess(nodeSpec('grandchild.mjs', [pidFile, 'exit', 'none', 'default']));
    expect(r.exit).toEqual({ kind: 'ok' });
    const gc = readPid(pidFile);
    expect(await eventually(() => isGoneOrZombie(gc))).toBe(true);
  });

  it('resolves when a SIGTERM-proof grandchild holds stdout open after the leader exits, and kills it', async () => {
    const pidFile = join(tmp, 'gc-hold.pid');
    const r = await runProcess(
      nodeSpec('grandchild.mjs', [pidFile, 'exit', 'hold', 'ignore'], { killGraceMs: 300 }),
    );
    expect(r.exit).toEqual({ kind: 'ok' });
    expect(r.stdout.toString()).toBe('ready\n');
    const gc = readPid(pidFile);
    expect(await eventually(() => isGoneOrZombie(gc))).toBe(true);
  });
  it('does not resolve until a SIGTERM-proof grandchild without stdio has been SIGKILLed', async () => {
    const clock = new ManualClock();
    const pidFile = join(tmp, 'gc-stubborn.pid');
    const controller = new AbortController();
    let leaderPid: number | undefined;
    const onSpawn = (m: unknown) => {
      leaderPid = (m as ProcessSpawnEvent).pid;
    };
    subscribe(PROCESS_SPAWN_CHANNEL, onSpawn);
    let settled = false;
    const run = runProcess(
      nodeSpec('grandchild.mjs', [pidFile, 'stay', 'none', 'ignore'], {
        clock,
        signal: controller.signal,
        killGraceMs: 1_000,
        onStdout: onMarker('ready', () => controller.abort()),
      }),
    ).then((r) => {
      settled = true;
      return r;
    });
    // The spawner reports the pid asynchronously: stay subscribed until it came.
    expect(await eventually(() => leaderPid !== undefined && isGoneOrZombie(leaderPid))).toBe(true);
    unsubscribe(PROCESS_SPAWN_CHANNEL, onSpawn);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    const gc = readPid(pidFile);
    // The leader is gone and its pipes closed, but the grandchild ignored SIGTERM: the run must still wait.
    expect(settled).toBe(false);
    expect(isGoneOrZombie(gc)).toBe(false);
    clock.advance(1_000);
    const r = await run;
    expect(r.exit).toEqual({ kind: 'cancelled' });
    expect(await eventually(() => isGoneOrZombie(gc))).toBe(true);
  });
});

describe('runProcess process-group cleanup under bwrap', () => {
  const bwrap = ['/usr/bin/bwrap', '/bin/bwrap'].find((path) => existsSync(path));

  /** Host pids of live (not zombie, not exiting) processes whose command line mentions `marker`. */
  function liveWith(marker: string): number[] {
    const found: number[] = [];
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
      try {
        if (!readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(marker)) continue;
        if (!isGoneOrZombie(Number(entry))) found.push(Number(entry));
      } catch {
        // exited while we looked
      }
    }
    return found;
  }

  // The runner takes bwrap's exited init as proof the sandbox is empty: the kernel kills the rest of its PID
  // namespace, grandchildren included, when that init exits.
  it.skipIf(bwrap === undefined)(
    'leaves no SIGTERM-proof grandchild running after the critic exits',
    async () => {
      const pidFile = join(tmp, 'gc-sandboxed.pid');
      const r = await runProcess(
        nodeSpec('grandchild.mjs', [pidFile, 'exit', 'none', 'ignore'], {
          root: FIXTURES,
          cwd: FIXTURES,
          sandbox: { bwrap: bwrap!, readOnly: [dirname(realpathSync(process.execPath))], writable: [tmp] },
        }),
      );
      expect(r.exit).toEqual({ kind: 'ok' });
      expect(r.stdout.toString()).toBe('ready\n');
      expect(await eventually(() => liveWith(pidFile).length === 0)).toBe(true);
    },
  );
});

describe('killAllProcessGroups', () => {
  it('stops every live run, SIGKILLing the ones that ignore SIGTERM, and resolves when all settled', async () => {
    let ready = 0;
    let allReady: () => void = () => {};
    const bothReady = new Promise<void>((resolve) => {
      allReady = resolve;
    });
    const markReady = onMarkerCount(() => {
      ready += 1;
      if (ready === 2) allReady();
    });
    const runs: Array<Promise<RunResult>> = [
      runProcess(nodeSpec('hang.mjs', [], { onStdout: markReady() })),
      runProcess(nodeSpec('hang.mjs', ['ignore-term'], { onStdout: markReady() })),
    ];
    await bothReady;
    expect(activeProcessGroups()).toBe(2);
    await killAllProcessGroups(200);
    expect(activeProcessGroups()).toBe(0);
    const results = await Promise.all(runs);
    expect(results.map((r) => r.exit)).toEqual([{ kind: 'cancelled' }, { kind: 'cancelled' }]);
    for (const r of results) expect(isGoneOrZombie(r.pid!)).toBe(true);
  });

  it('resolves at once when nothing is running', async () => {
    expect(activeProcessGroups()).toBe(0);
    await expect(killAllProcessGroups(100)).resolves.toBeUndefined();
  });
});

/** One "ready" callback per run, each firing once. */
function onMarkerCount(fn: () => void): () => (chunk: Buffer) => void {
  return () => onMarker('ready', fn);
}
