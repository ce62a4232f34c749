// After the leader exits, output still in the pipe is read in full even when the event loop is too busy to read
// it within killGraceMs (many runs at once, a short grace): only a live writer in the group cuts the read short.
import { describe, expect, it } from 'vitest';
import { runProcess } from '../../src/process/index.js';
import { nodeSpec } from '../fixtures/proc/helpers.js';

describe('draining after the leader exits', () => {
  it('keeps every byte of 24 concurrent runs with a 20 ms grace while the event loop is blocked', async () => {
    const bytes = 2 * 1024 * 1024;
    const runs = Array.from({ length: 24 }, () =>
      runProcess(
        nodeSpec('big-output.mjs', [String(bytes)], { killGraceMs: 20, maxOutputBytes: 4 * 1024 * 1024 }),
      ),
    );
    const results = await Promise.all(runs);
    for (const r of results) {
      expect(r.exit).toEqual({ kind: 'ok' });
      expect(r.stdoutBytes).toBe(bytes);
      expect(r.stdout.length).toBe(bytes);
    }
  });
});
