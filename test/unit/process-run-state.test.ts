import { describe, expect, it } from 'vitest';
import {
  drainRounds,
  escalationOf,
  KILLED,
  NO_ESCALATION,
  naturalExit,
  phaseTimers,
  type RunState,
} from '../../src/process/run-state.js';

const t = (id: number) => ({ id });

describe('run states', () => {
  it('lists exactly the timers each phase owns, never the escalation kill timer', () => {
    const terminating = { kind: 'terminating', killTimer: t(9) } as const;
    const states: Array<[RunState, unknown[]]> = [
      [{ kind: 'starting' }, []],
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
