/** anySignal: one signal that aborts with the first input's reason and leaves no listener behind. */
import { describe, expect, it } from 'vitest';
import { anySignal } from '../../src/infra/index.js';

describe('anySignal', () => {
  it('aborts with the reason of whichever input aborts first', () => {
    const a = new AbortController();
    const b = new AbortController();
    const { signal } = anySignal([a.signal, undefined, b.signal]);
    expect(signal.aborted).toBe(false);
    b.abort('b went first');
    a.abort('a later');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('b went first');
  });

  it('starts aborted, with that reason, when an input is already aborted', () => {
    const live = new AbortController();
    const { signal } = anySignal([live.signal, AbortSignal.abort('already'), undefined]);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('already');
  });

  it('never aborts when every input is undefined', () => {
    const { signal, dispose } = anySignal([undefined, undefined]);
    dispose();
    expect(signal.aborted).toBe(false);
  });

  it('no longer follows its inputs once disposed', () => {
    const a = new AbortController();
    const { signal, dispose } = anySignal([a.signal]);
    dispose();
    a.abort('after dispose');
    expect(signal.aborted).toBe(false);
  });
});
