// The trace-context facade: W3C traceparent parsing, the steps' channel and the context a listener gives a step.
import { describe, expect, it } from 'vitest';
import {
  currentTrace,
  currentTraceparent,
  formatTraceparent,
  listenToSteps,
  parseTraceparent,
  runInTrace,
  type StepEvent,
  traceStep,
} from '../../src/infra/index.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('parseTraceparent', () => {
  it('reads version 00 with the sampled flag', () => {
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-01`)).toEqual({
      traceId: TRACE,
      spanId: SPAN,
      sampled: true,
    });
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-00`)?.sampled).toBe(false);
    expect(parseTraceparent(` 00-${TRACE.toUpperCase()}-${SPAN}-03 `)?.traceId).toBe(TRACE);
  });

  it.each([
    ['missing', undefined],
    ['not a string', 42],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN}-01`],
    ['all-zero span id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['another version', `01-${TRACE}-${SPAN}-01`],
    ['short trace id', `00-${TRACE.slice(1)}-${SPAN}-01`],
    ['trailing data', `00-${TRACE}-${SPAN}-01-extra`],
    ['too long', `00-${TRACE}-${SPAN}-01${' '.repeat(64)}`],
  ])('refuses %s', (_why, value) => {
    expect(parseTraceparent(value)).toBeUndefined();
  });

  it('round-trips through formatTraceparent', () => {
    const value = `00-${TRACE}-${SPAN}-01`;
    expect(formatTraceparent(parseTraceparent(value)!)).toBe(value);
  });
});

describe('traceStep', () => {
  it('just runs the step when nothing listens', async () => {
    await runInTrace({ traceId: TRACE, spanId: SPAN, sampled: false }, async () => {
      expect(await traceStep('cache', {}, async () => currentTraceparent())).toBe(`00-${TRACE}-${SPAN}-00`);
    });
    expect(currentTrace()).toBeUndefined();
  });

  it("runs the step in the context its listener chose and reports the step's result", async () => {
    const settled: StepEvent[] = [];
    const unlisten = listenToSteps({
      enter: (event, parent) =>
        parent && { ...parent, spanId: event.step === 'critic' ? 'c'.repeat(16) : parent.spanId },
      settled: (event) => settled.push(event),
    });
    try {
      const seen = await runInTrace({ traceId: TRACE, spanId: SPAN, sampled: true, recordSteps: true }, () =>
        traceStep('critic', { critic: 'claude' }, async () => currentTraceparent()),
      );
      expect(seen).toBe(`00-${TRACE}-${'c'.repeat(16)}-01`);
      expect(settled).toEqual([{ step: 'critic', attributes: { critic: 'claude' }, result: seen }]);
      // Children of a context that does not record steps (sampled out) are not published at all.
      await runInTrace({ traceId: TRACE, spanId: SPAN, sampled: true }, () =>
        traceStep('cache', {}, async () => 1),
      );
      expect(settled).toHaveLength(1);
    } finally {
      unlisten();
    }
  });

  it('reports a step that threw synchronously as failed', async () => {
    const settled: StepEvent[] = [];
    const unlisten = listenToSteps({ enter: (_e, parent) => parent, settled: (e) => settled.push(e) });
    try {
      const boom = new Error('boom');
      await expect(
        runInTrace({ traceId: TRACE, spanId: SPAN, sampled: true, recordSteps: true }, () =>
          traceStep('store', {}, () => {
            throw boom;
          }),
        ),
      ).rejects.toBe(boom);
      expect(settled).toEqual([{ step: 'store', attributes: {}, error: boom }]);
    } finally {
      unlisten();
    }
  });
});
