// The front's admission against the fleet's waiting depth: one read per batch, and the limit held within a batch.
import { describe, expect, it } from 'vitest';
import { BrutalistError, isBrutalistError } from '../../src/errors/index.js';
import { DepthGate } from '../../src/queue/admission.js';

/** A depth reader that counts its reads and answers what the test says. */
function reader(depth: () => number | Error) {
  const calls = { reads: 0 };
  const read = async () => {
    calls.reads++;
    const d = depth();
    if (d instanceof Error) throw d;
    return d;
  };
  return { calls, read };
}

const outcome = (p: Promise<void>) =>
  p.then(
    () => 'admitted',
    (err: unknown) => (isBrutalistError(err) ? err.code : 'other'),
  );

describe('DepthGate', () => {
  it('reads the depth once for the runs that ask in the same tick', async () => {
    const r = reader(() => 0);
    const gate = new DepthGate(r.read, 100);
    const results = await Promise.all(Array.from({ length: 96 }, () => outcome(gate.admit())));
    expect(results.every((x) => x === 'admitted')).toBe(true);
    expect(r.calls.reads).toBe(1);
  });

  it('admits a burst only up to the limit, counting the runs admitted ahead in it', async () => {
    const r = reader(() => 7);
    const gate = new DepthGate(r.read, 10);
    const runs = Array.from({ length: 5 }, () => gate.admit());
    const results = await Promise.all(runs.map(outcome));
    expect(results).toEqual(['admitted', 'admitted', 'admitted', 'QUEUE_FULL', 'QUEUE_FULL']);
    const refused = await runs[3]?.catch((err: unknown) => err);
    expect(refused instanceof BrutalistError && refused.data).toEqual({
      size: 10,
      limit: 10,
      reason: 'queue',
    });
  });

  it('reads again for a run that asks after the batch was read', async () => {
    let depth = 0;
    const r = reader(() => depth);
    const gate = new DepthGate(r.read, 3);
    expect(await outcome(gate.admit())).toBe('admitted');
    depth = 3;
    expect(await outcome(gate.admit())).toBe('QUEUE_FULL');
    expect(r.calls.reads).toBe(2);
  });

  it('gives every run of the batch the read error', async () => {
    const r = reader(() => new BrutalistError('STATE_UNAVAILABLE'));
    const gate = new DepthGate(r.read, 3);
    const results = await Promise.all([outcome(gate.admit()), outcome(gate.admit())]);
    expect(results).toEqual(['STATE_UNAVAILABLE', 'STATE_UNAVAILABLE']);
  });
});
