/** RefusalTally: the first refusal of a key is written, repeats are counted and written once, bounded by maxKeys. */
import { describe, expect, it } from 'vitest';
import { type HttpAuditEntry, RefusalTally } from '../../src/http/index.js';

const refusal = (ip: string): HttpAuditEntry => ({
  event: 'auth',
  decision: 'deny',
  ip,
  code: 'UNAUTHENTICATED',
});

describe('RefusalTally', () => {
  it('writes the first refusal at once and the repeats as one line when the key is settled', () => {
    const written: HttpAuditEntry[] = [];
    const tally = new RefusalTally(8, (e) => written.push(e));
    for (let i = 0; i < 4; i++) tally.refused('10.0.0.1', () => refusal('10.0.0.1'));
    expect(written).toEqual([refusal('10.0.0.1')]);
    tally.settle('10.0.0.1');
    tally.settle('10.0.0.1');
    expect(written).toEqual([refusal('10.0.0.1'), { ...refusal('10.0.0.1'), repeated: 3 }]);
  });

  it('writes no count line for a key refused once, and nothing for a key never refused', () => {
    const written: HttpAuditEntry[] = [];
    const tally = new RefusalTally(8, (e) => written.push(e));
    tally.refused('a', () => refusal('a'));
    tally.settle('a');
    tally.settle('never');
    expect(written).toEqual([refusal('a')]);
  });

  it('flushes every count before tallying a key past maxKeys, so nothing is dropped', () => {
    const written: HttpAuditEntry[] = [];
    const tally = new RefusalTally(2, (e) => written.push(e));
    for (const ip of ['a', 'a', 'b', 'b', 'b', 'c']) tally.refused(ip, () => refusal(ip));
    expect(written).toEqual([
      refusal('a'),
      refusal('b'),
      { ...refusal('a'), repeated: 1 },
      { ...refusal('b'), repeated: 2 },
      refusal('c'),
    ]);
  });

  it('writes every refusal when maxKeys is 0 (no tally kept)', () => {
    const written: HttpAuditEntry[] = [];
    const tally = new RefusalTally(0, (e) => written.push(e));
    tally.refused('a', () => refusal('a'));
    tally.refused('a', () => refusal('a'));
    tally.flush();
    expect(written).toEqual([refusal('a'), refusal('a')]);
  });
});
