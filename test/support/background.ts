// A critique a unit test finishes by hand, the request context it runs under, and a flush of promise chains.
import type { RequestContext, ToolResponse } from '../../src/engine/index.js';
import type { StreamEvent } from '../../src/streaming/index.js';
import { EMPTY_ROAST_META } from './results.js';

/** A critique the test finishes by hand; it records the signal it ran under and can report a critic starting. */
export function work() {
  let settle!: { resolve: (r: ToolResponse) => void; reject: (e: unknown) => void };
  const seen: { signal?: AbortSignal; emit?: (e: StreamEvent) => void; contextId?: string } = {};
  const fn = (contextId: string, job: RequestContext) => {
    seen.signal = job.signal;
    seen.emit = job.onEvent;
    seen.contextId = contextId;
    return new Promise<ToolResponse>((resolve, reject) => {
      settle = { resolve, reject };
    });
  };
  const response = (text: string): ToolResponse => ({
    status: 'done',
    text,
    contextId: seen.contextId!,
    page: {
      offset: 0,
      limit: 1_000,
      nextOffset: null,
      totalChars: text.length,
      estimatedTotalTokens: 1,
      nextCursor: null,
    },
    meta: EMPTY_ROAST_META,
  });
  return {
    fn,
    seen,
    finish: (text: string) => settle.resolve(response(text)),
    fail: (err: unknown) => settle.reject(err),
  };
}

export const ctx = (extra: Partial<RequestContext> = {}): RequestContext => ({
  owner: 'alice',
  roots: [],
  signal: new AbortController().signal,
  ...extra,
});

/** Lets promise chains (store writes, timers' callbacks) run. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}
