/** Stored result metadata is validated when read back: a shape this version does not write reads as absent. */
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/engine/config.js';
import { ResultPages, readResultMeta } from '../../src/engine/results.js';
import type { ResultMeta } from '../../src/engine/types.js';
import { isBrutalistError } from '../../src/errors/index.js';
import { ManualClock } from '../../src/infra/index.js';
import { MemoryStateStore } from '../../src/state/index.js';

const meta: ResultMeta = {
  tool: 'roast',
  domain: 'idea',
  critics: [
    {
      critic: 'claude',
      ok: true,
      model: 'm',
      durationMs: 12,
      exitClass: 'ok',
      outputBytes: 3,
      truncated: false,
      usage: { inputTokens: 1 },
      error: null,
    },
  ],
  cached: false,
  cacheAgeMs: null,
  skipped: [{ critic: 'gemini', code: 'CLI_NOT_FOUND' }],
  notes: ['n'],
  sanitized: { controls: 0, escapes: 0, bidi: 0, secrets: 1, envValues: 0 },
  redactedInput: { secrets: 0, envValues: 0 },
};

describe('readResultMeta', () => {
  it('returns what was written, and null for a shape this version does not write', () => {
    expect(readResultMeta(JSON.parse(JSON.stringify(meta)))).toEqual(meta);
    expect(readResultMeta({ ...meta, critics: [{ critic: 'claude' }] })).toBeNull();
    expect(readResultMeta({ ...meta, tool: 'other' })).toBeNull();
    expect(readResultMeta(null)).toBeNull();
  });

  it('reports a stored result whose metadata does not validate as not found', async () => {
    const clock = new ManualClock();
    const store = new MemoryStateStore({
      maxBytes: 1 << 20,
      maxEntries: 100,
      cacheMaxEntryBytes: 1 << 16,
      clock,
    });
    const config = resolveConfig({ overrides: { pageChars: 1_000, resultTtlMs: 60_000 } });
    const pages = new ResultPages(store, config, clock);
    const contextId = 'ctx-0123456789';
    await store.putResult(
      { contextId, owner: 'alice', text: 'hello', meta: { tool: 7 }, createdAt: 0 },
      60_000,
    );
    const err = await pages.page('alice', contextId).catch((e: unknown) => e);
    expect(isBrutalistError(err) && err.code).toBe('CONTEXT_NOT_FOUND');
    const saved = await pages.save('alice', 'hello', meta);
    expect((await pages.page('alice', saved.contextId)).meta).toEqual(meta);
  });
});
