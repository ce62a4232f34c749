import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isLive, isLiveMember, parseProcStat, sandboxHasLiveMembers } from '../../src/process/group.js';
import { infoChildPid } from '../../src/process/sandbox.js';

const bytes = (line: string) => {
  const buf = Buffer.from(line, 'latin1');
  return [buf, buf.length] as const;
};

describe('parseProcStat', () => {
  it('reads the state, process group and flags of a plain line', () => {
    expect(parseProcStat(...bytes('4242 (node) S 1 4240 4240 0 -1 4194560 1 0 0 0\n'))).toEqual({
      state: 'S',
      pgrp: 4240,
      flags: 4194560,
    });
  });

  it('finds the fields after the last parenthesis when comm holds spaces and ")"', () => {
    expect(parseProcStat(...bytes('77 (a) Z 9 (x) ) R 12 31337 31337 34816 31337 4194304 0\n'))).toEqual({
      state: 'R',
      pgrp: 31337,
      flags: 4194304,
    });
  });

  it('only reads the first `length` bytes of a reused buffer', () => {
    const buf = Buffer.alloc(64, 0x39);
    const line = '5 (sh) S 1 6 6 0 -1 64';
    buf.write(line, 'latin1');
    expect(parseProcStat(buf, line.length)).toEqual({ state: 'S', pgrp: 6, flags: 64 });
  });

  it('parses this process as a live member of its own group', () => {
    const stat = parseProcStat(...bytes(readFileSync('/proc/self/stat', 'latin1')));
    expect(stat).toBeDefined();
    expect(stat!.pgrp).toBeGreaterThan(0);
    expect(isLive(stat!)).toBe(true);
  });

  it('refuses lines without that shape', () => {
    for (const line of [
      '',
      '12 sh S 1 2 2 0 -1 0',
      '12 (sh)',
      '12 (sh) S',
      '12 (sh) S 1 x2 2 0 -1 0',
      '12 (sh)S 1 2 2 0 -1 0',
      '12 (sh) S 1 2 2 0 -1',
    ]) {
      expect(parseProcStat(...bytes(line))).toBeUndefined();
    }
  });
});

describe('isLive', () => {
  it('counts a zombie, a dead task and a task inside exit() as gone', () => {
    // Flags as seen on bwrap's orphaned init after a sandboxed run: 0x40814C (zombie), 0x40014C (exiting, D).
    expect(isLive({ state: 'Z', pgrp: 1, flags: 0x40814c })).toBe(false);
    expect(isLive({ state: 'X', pgrp: 1, flags: 0 })).toBe(false);
    expect(isLive({ state: 'D', pgrp: 1, flags: 0x40014c })).toBe(false);
  });

  it('counts a sleeping, running or stopped task as live', () => {
    for (const state of ['S', 'R', 'D', 'T']) expect(isLive({ state, pgrp: 1, flags: 0x400100 })).toBe(true);
  });
});

describe('isLiveMember', () => {
  const own = parseProcStat(...bytes(readFileSync('/proc/self/stat', 'latin1')))!;

  it('reads one process: live in its group, not in another, and a pid that is gone is not live', () => {
    expect(isLiveMember(process.pid, own.pgrp)).toBe(true);
    expect(isLiveMember(process.pid, own.pgrp + 1)).toBe(false);
    expect(isLiveMember(2 ** 22 + 1, own.pgrp)).toBe(false);
  });
});

describe('sandboxHasLiveMembers', () => {
  it('takes an init that is gone as an empty namespace, a live one as a reason to scan the group', async () => {
    const sleeper = spawn('/bin/sleep', ['30'], { detached: true, stdio: 'ignore' });
    const pid = sleeper.pid!;
    try {
      expect(sandboxHasLiveMembers(pid, pid)).toBe(true);
      expect(sandboxHasLiveMembers(pid, undefined)).toBe(true);
      // The init named is not a live member of this group (this process is in another): no scan, nothing live,
      // although the group itself still has a running member.
      expect(sandboxHasLiveMembers(pid, process.pid)).toBe(false);
    } finally {
      process.kill(-pid, 'SIGKILL');
      await new Promise((resolve) => sleeper.on('exit', resolve));
    }
    expect(sandboxHasLiveMembers(pid, undefined)).toBe(false);
  });
});

describe('infoChildPid', () => {
  it('reads the init pid from what bwrap writes to --info-fd, and nothing from a partial write', () => {
    const info =
      '{\n    "child-pid": 22373,\n    "mnt-namespace": 4026532186,\n    "pid-namespace": 4026532187\n}\n';
    expect(infoChildPid(info)).toBe(22373);
    expect(infoChildPid('{\n    "child-p')).toBeUndefined();
    expect(infoChildPid('')).toBeUndefined();
  });
});
