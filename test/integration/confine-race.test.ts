// The validation→spawn race: while a loop swaps the target dir for a symlink to an outside dir, 200 roast requests
// run against fake critics that log their own cwd. No critic may ever start outside the root.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CriticAvailability } from '../../src/critics/index.js';
import type { ConfigInput } from '../../src/engine/config.js';
import { Engine } from '../../src/engine/index.js';
import { isBrutalistError } from '../../src/errors/index.js';
import { MemoryStateStore } from '../../src/state/index.js';
import { fakeConfig, makeSandbox, readLog } from '../support/harness.js';

/** Swaps `t` (a real dir at start) with a symlink to outside and back, by renames, until killed. */
const SWAPPER = `
const { renameSync } = require('node:fs');
const [t, dir, link] = process.argv.slice(1);
const spin = (n) => { const end = process.hrtime.bigint() + BigInt(n); while (process.hrtime.bigint() < end); };
process.stdout.write('ready');
for (;;) {
  spin(300000); renameSync(t, dir); renameSync(link, t);
  spin(300000); renameSync(t, link); renameSync(dir, t);
}`;

/** A success, or a typed path error (never CLI_NOT_FOUND, never an untyped error). */
const PATH_OR_OK = /^(ok|PATH_OUTSIDE_ROOT|PATH_NOT_FOUND|PATH_NOT_REGULAR)$/;

describe('the target swapped for a symlink between validation and spawn', () => {
  let box: ReturnType<typeof makeSandbox>;
  let swapper: ChildProcess | undefined;
  beforeEach(() => {
    box = makeSandbox('brutalist-critics-');
  });
  afterEach(() => {
    swapper?.kill('SIGKILL');
    box.cleanup();
  });

  async function race(requests: number, overrides: ConfigInput, logPath: string) {
    const root = realpathSync(box.target);
    const outside = join(box.dir, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.txt'), 'not yours');
    mkdirSync(join(root, 'target'));
    writeFileSync(join(root, 'target', 'main.ts'), 'export {};\n');
    symlinkSync(outside, join(root, 'parked-link'));
    const env = { PATH: process.env.PATH, HOME: box.home, FAKE_CLI_LOG: logPath };
    const config = fakeConfig({
      cacheTtlMs: 0,
      maxConcurrent: 8,
      maxConcurrentPerCritic: 8,
      maxQueueSize: requests,
      maxCallerSharePct: 100,
      shedEventLoopDelayMs: 60_000,
      shedMaxChildren: 10_000,
      criticPreference: ['claude'],
      ...overrides,
    });
    const availability = new CriticAvailability({ config, env });
    const store = new MemoryStateStore({
      maxBytes: 1 << 26,
      maxEntries: 10_000,
      cacheMaxEntryBytes: 1 << 20,
    });
    const engine = new Engine({ config, store, availability, env });
    await availability.check('claude');
    await availability.sandbox();
    swapper = spawn(
      process.execPath,
      ['-e', SWAPPER, join(root, 'target'), join(root, 'parked-dir'), join(root, 'parked-link')],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    // Requests start once the loop runs; they spread over time in the admission queue (8 at once), and
    // force_refresh keeps single-flight from folding them into one run.
    await new Promise((resolve) => swapper!.stdout!.once('data', resolve));
    const pending: Array<Promise<string>> = [];
    for (let i = 0; i < requests; i++) {
      pending.push(
        engine
          .roast(
            { domain: 'codebase', target: 'target', force_refresh: true, fields: {} },
            { owner: 'race', roots: [root], signal: new AbortController().signal },
          )
          .then(
            () => 'ok',
            (err: unknown) => (isBrutalistError(err) ? err.code : String(err)),
          ),
      );
      // One event-loop turn between requests spreads their validations over the swap phases.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const outcomes = await Promise.all(pending);
    engine.close();
    return { root, outcomes, calls: readLog(logPath).filter((c) => !c.argv.includes('--version')) };
  }

  it('200 requests: every critic started inside the root; the rest are path errors, never CLI_NOT_FOUND', async () => {
    const { root, outcomes, calls } = await race(200, {}, box.log);
    for (const call of calls) expect(call.cwd.startsWith(`${root}/`)).toBe(true);
    for (const code of new Set(outcomes)) expect(code).toMatch(PATH_OR_OK);
    // Each success is one critic that ran (inside the root); nothing ran that did not report back.
    expect(calls.length).toBe(outcomes.filter((o) => o === 'ok').length);
  }, 240_000);

  it('40 requests under bwrap: the same holds, and the critic sees the target dir as its cwd', async () => {
    // The fake logs inside its config dir, which the sandbox shows writable (the rest of the host is hidden).
    const logPath = join(box.home, '.claude', 'calls.jsonl');
    mkdirSync(join(box.home, '.claude'));
    const { root, outcomes, calls } = await race(40, { sandbox: 'bwrap' }, logPath);
    for (const call of calls) expect(call.cwd.startsWith(`${root}/`)).toBe(true);
    for (const code of new Set(outcomes)) expect(code).toMatch(PATH_OR_OK);
    expect(calls.length).toBe(outcomes.filter((o) => o === 'ok').length);
  }, 240_000);
});
