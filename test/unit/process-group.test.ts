import { describe, expect, it } from 'vitest';
import { parseProcStat } from '../../src/process/group.js';

const bytes = (line: string) => {
  const buf = Buffer.from(line, 'latin1');
  return [buf, buf.length] as const;
};

describe('parseProcStat', () => {
  it('reads the state and process group of a plain line', () => {
    expect(parseProcStat(...bytes('4242 (node) S 1 4240 4240 0 -1 4194560 1 0 0 0\n'))).toEqual({
      state: 'S',
      pgrp: 4240,
    });
  });

  it('finds the fields after the last parenthesis when comm holds spaces and ")"', () => {
    expect(parseProcStat(...bytes('77 (a) Z 9 (x) ) R 12 31337 31337 0 -1\n'))).toEqual({
      state: 'R',
      pgrp: 31337,
    });
  });

  it('reads a zombie', () => {
    expect(parseProcStat(...bytes('22939 (bwrap) Z 1 22938 22938 0 -1 4227404'))).toEqual({
      state: 'Z',
      pgrp: 22938,
    });
  });

  it('only reads the first `length` bytes of a reused buffer', () => {
    const buf = Buffer.alloc(64, 0x39);
    const line = '5 (sh) S 1 6 6 0';
    buf.write(line, 'latin1');
    expect(parseProcStat(buf, line.length)).toEqual({ state: 'S', pgrp: 6 });
  });

  it('refuses lines without that shape', () => {
    for (const line of ['', '12 sh S 1 2 2', '12 (sh)', '12 (sh) S', '12 (sh) S 1 x2 0', '12 (sh)S 1 2 2']) {
      expect(parseProcStat(...bytes(line))).toBeUndefined();
    }
  });
});
