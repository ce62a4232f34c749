import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  drainRounds,
  escalationOf,
  KILLED,
  NO_ESCALATION,
  naturalExit,
  phaseTimers,
  type RunState,
  sandboxSetupExit,
  spawnFailureExit,
  UNKNOWN_EXIT,
} from '../../src/process/run-state.js';

const t = (id: number) => ({ id });

describe('run states', () => {
  it('lists exactly the timers each phase owns, never the escalation kill timer', () => {
    const terminating = { kind: 'terminating', killTimer: t(9) } as const;
    const states: Array<[RunState, unknown[]]> = [
      [{ kind: 'starting' }, []],
      [{ kind: 'starting', deadlineTimer: t(5) }, [t(5)]],
      [{ kind: 'running', deadlineTimer: t(1), stallTimer: t(2) }, [t(1), t(2)]],
      [{ kind: 'stopping', escalation: terminating }, []],
      [{ kind: 'draining', escalation: terminating, drainTimer: t(3), round: 0 }, [t(3)]],
      [{ kind: 'awaiting-group', escalation: terminating, pollTimer: t(4) }, [t(4)]],
      [{ kind: 'done' }, []],
    ];
    for (const [state, timers] of states) expect(phaseTimers(state)).toEqual(timers);
  });

  it('carries the escalation of the phases that have one, and none before any signal', () => {
    expect(escalationOf({ kind: 'starting' })).toBe(NO_ESCALATION);
    expect(escalationOf({ kind: 'running', deadlineTimer: t(1), stallTimer: t(2) })).toBe(NO_ESCALATION);
    expect(escalationOf({ kind: 'stopping', escalation: KILLED })).toBe(KILLED);
    const terminating = { kind: 'terminating', killTimer: t(9) } as const;
    expect(escalationOf({ kind: 'stopping', escalation: terminating })).toBe(terminating);
    expect(escalationOf({ kind: 'awaiting-group', escalation: terminating, pollTimer: t(4) })).toBe(
      terminating,
    );
    expect(escalationOf({ kind: 'done' })).toBe(NO_ESCALATION);
    expect(NO_ESCALATION).toEqual({ kind: 'none' });
    expect(KILLED).toEqual({ kind: 'killed' });
    expect(escalationOf({ kind: 'draining', escalation: KILLED, drainTimer: t(3), round: 2 })).toBe(KILLED);
  });

  it('drains for at least 4 checks and at least 2 s of checks', () => {
    expect(drainRounds(2_000)).toBe(4);
    expect(drainRounds(300)).toBe(7);
    expect(drainRounds(20)).toBe(100);
    expect(drainRounds(0)).toBe(2_000);
  });

  it('classifies how a leader ended on its own', () => {
    expect(naturalExit(0, null)).toEqual({ kind: 'ok' });
    expect(naturalExit(3, null)).toEqual({ kind: 'exit', code: 3 });
    expect(naturalExit(null, 'SIGKILL')).toEqual({ kind: 'signal', signal: 'SIGKILL' });
    expect(naturalExit(null, null)).toEqual({ kind: 'signal', signal: 'UNKNOWN' });
  });
});

describe('spawnFailureExit', () => {
  const errno = (code: string) => Object.assign(new Error(code), { code });

  it('reads ENOENT as a missing command while the working folder exists', () => {
    const dir = mkdtempSync(join(tmpdir(), 'brutalist-run-state-'));
    try {
      expect(spawnFailureExit(errno('ENOENT'), false, dir)).toEqual({ kind: 'not_found' });
      expect(spawnFailureExit(errno('EACCES'), false, dir)).toEqual({ kind: 'spawn_error', errno: 'EACCES' });
      expect(spawnFailureExit(errno('ENOTDIR'), false, dir)).toEqual({
        kind: 'spawn_error',
        errno: 'ENOTDIR',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads ENOENT and ENOTDIR as a missing working folder when it is gone or not a folder, unless it was pinned', () => {
    const dir = mkdtempSync(join(tmpdir(), 'brutalist-run-state-'));
    try {
      const gone = join(dir, 'gone');
      const file = join(dir, 'file');
      writeFileSync(file, '');
      expect(spawnFailureExit(errno('ENOENT'), false, gone)).toEqual({ kind: 'cwd_missing' });
      expect(spawnFailureExit(errno('ENOTDIR'), false, file)).toEqual({ kind: 'cwd_missing' });
      expect(spawnFailureExit(errno('EACCES'), false, gone)).toEqual({
        kind: 'spawn_error',
        errno: 'EACCES',
      });
      // A pinned folder is held open by descriptor: its path no longer says whether it exists.
      expect(spawnFailureExit(errno('ENOENT'), true, gone)).toEqual({ kind: 'not_found' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads an error without a code, or no error, as UNKNOWN', () => {
    expect(spawnFailureExit(new Error('x'), true, '/')).toEqual({ kind: 'spawn_error', errno: 'UNKNOWN' });
    expect(spawnFailureExit(undefined, true, '/')).toEqual({ kind: 'spawn_error', errno: 'UNKNOWN' });
    expect(UNKNOWN_EXIT).toEqual({ kind: 'signal', signal: 'UNKNOWN' });
  });
});

describe('sandboxSetupExit', () => {
  const bindFailed = "bwrap: Can't find source path /proc/self/fd/3: No such file or directory";

  it('reads bwrap exiting 1 with a failed bind of the pinned folder as a missing working folder', () => {
    expect(sandboxSetupExit({ kind: 'exit', code: 1 }, '/w', '/r', bindFailed)).toEqual({
      kind: 'cwd_missing',
    });
    expect(
      sandboxSetupExit({ kind: 'exit', code: 1 }, '/w', '/r', 'bwrap: Race condition binding dirfd'),
    ).toEqual({
      kind: 'cwd_missing',
    });
  });

  it('leaves every other ending to the usual classification', () => {
    expect(sandboxSetupExit({ kind: 'exit', code: 1 }, '/w', '/r', 'critic said no')).toBeUndefined();
    expect(sandboxSetupExit({ kind: 'exit', code: 2 }, '/w', '/r', bindFailed)).toBeUndefined();
    expect(sandboxSetupExit({ kind: 'ok' }, '/w', '/r', bindFailed)).toBeUndefined();
    expect(sandboxSetupExit({ kind: 'signal', signal: 'SIGKILL' }, '/w', '/r', bindFailed)).toBeUndefined();
    expect(sandboxSetupExit(undefined, '/w', '/r', bindFailed)).toBeUndefined();
    expect(sandboxSetupExit({ kind: 'exit', code: 1 }, undefined, '/r', bindFailed)).toBeUndefined();
  });
});
