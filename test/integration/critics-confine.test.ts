// Where a critic runs, as the fake critics themselves log it: the resolved binary, never a planted one; an empty
// private dir for runs with no file access; path errors for a target that moved; bwrap confinement.
import { chmodSync, existsSync, mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CriticAvailability, type RunCriticOptions, runCritic } from '../../src/critics/index.js';
import type { ConfigInput } from '../../src/engine/config.js';
import { Engine } from '../../src/engine/index.js';
import { isBrutalistError } from '../../src/errors/index.js';
import { privateDirsRemoved } from '../../src/process/index.js';
import { MemoryStateStore } from '../../src/state/index.js';
import { FAKE_BIN, fakeBin, fakeConfig, makeSandbox, readLog } from '../support/harness.js';

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (isBrutalistError(err)) return err.code;
    throw err;
  }
  return 'ok';
}

describe('critic binary and working directory', () => {
  let box: ReturnType<typeof makeSandbox>;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    box = makeSandbox('brutalist-critics-');
    env = { PATH: process.env.PATH, HOME: box.home, FAKE_CLI_LOG: box.log };
  });
  afterEach(() => box.cleanup());

  function run(overrides: ConfigInput, options: RunCriticOptions, prompt = 'critique this') {
    const config = fakeConfig(overrides);
    const availability = new CriticAvailability({ config, env });
    return { availability, result: runCritic({ config, availability, env }, 'claude', { prompt }, options) };
  }

  it('never runs a `claude` planted in the target, with "." and an empty entry first on PATH', async () => {
    const marker = join(box.dir, 'planted-ran');
    writeFileSync(join(box.target, 'claude'), `#!/bin/sh\ntouch ${marker}\n`);
    chmodSync(join(box.target, 'claude'), 0o755);
    env.PATH = `.::${FAKE_BIN}:${process.env.PATH}`;
    const { availability, result } = run({ claudeBin: 'claude' }, { cwd: box.target });
    expect((await result).text).toContain('FAKE-CLAUDE CRITIQUE');
    expect(existsSync(marker)).toBe(false);
    // The roster shows what runs: the absolute path found on PATH, and the critic's own PATH lost "." and "".
    expect((await availability.check('claude')).path).toBe(fakeBin('claude'));
    const [call] = readLog(box.log).filter((c) => !c.argv.includes('--version'));
    expect(call?.cwd).toBe(realpathSync(box.target));
    expect(call?.env.PATH?.split(':')).not.toContain('.');
    expect(call?.env.PATH?.split(':')).not.toContain('');
  });

  it('runs a no-file-access critic in a fresh empty 0700 dir, not the server cwd, and removes it', async () => {
    const { result } = run({}, { fileAccess: 'none' });
    await result;
    const [call] = readLog(box.log).filter((c) => !c.argv.includes('--version'));
    expect(call?.cwd).not.toBe(process.cwd());
    expect(call?.cwd.startsWith(join(realpathSync(tmpdir()), 'brutalist-run-'))).toBe(true);
    expect(call?.cwdEntries).toEqual([]);
    expect(call?.cwdMode).toBe(0o700);
    await privateDirsRemoved();
    expect(existsSync(call!.cwd)).toBe(false);
  });

  it('gives every run its own dir under workDir and removes it after a failure and after a cancel', async () => {
    const workDir = join(box.dir, 'work');
    mkdirSync(workDir);
    expect(await codeOf(run({ workDir }, { fileAccess: 'none' }, 'p\n@@fake exit_code=1').result)).toBe(
      'CLI_FAILED',
    );
    const controller = new AbortController();
    const hung = run({ workDir }, { fileAccess: 'none', signal: controller.signal }, 'p\n@@fake hang=1');
    await hung.availability.check('claude');
    // Wait until the hung fake has logged its start, then cancel.
    while (readLog(box.log).filter((c) => !c.argv.includes('--version')).length < 2) {
      await new Promise((r) => setTimeout(r, 10));
    }
    controller.abort();
    expect(await codeOf(hung.result)).toBe('CANCELLED');
    const calls = readLog(box.log).filter((c) => !c.argv.includes('--version'));
    expect(new Set(calls.map((c) => c.cwd)).size).toBe(2);
    await privateDirsRemoved();
    for (const call of calls) {
      expect(call.cwd.startsWith(`${realpathSync(workDir)}/`)).toBe(true);
      expect(existsSync(call.cwd)).toBe(false);
    }
  });

  it('reports a target that vanished as PATH_NOT_FOUND, never CLI_NOT_FOUND, and runs nothing', async () => {
    const root = realpathSync(box.dir);
    rmSync(box.target, { recursive: true });
    expect(await codeOf(run({}, { cwd: box.target, root }).result)).toBe('PATH_NOT_FOUND');
    expect(readLog(box.log).filter((c) => !c.argv.includes('--version'))).toEqual([]);
  });

  it('refuses a working directory that resolves outside its root (a swapped-in symlink)', async () => {
    const root = realpathSync(box.target);
    const inner = join(box.target, 'sub');
    const outside = join(box.dir, 'outside');
    mkdirSync(outside);
    symlinkSync(outside, inner);
    expect(await codeOf(run({}, { cwd: inner, root }).result)).toBe('PATH_OUTSIDE_ROOT');
    expect(readLog(box.log).filter((c) => !c.argv.includes('--version'))).toEqual([]);
  });
});

describe('bwrap confinement (fake critics)', () => {
  let box: ReturnType<typeof makeSandbox>;
  let env: NodeJS.ProcessEnv;
  let log: string;
  beforeEach(() => {
    box = makeSandbox('brutalist-critics-');
    // The sandbox shows the critic's config dir writable and hides the rest of the host: the fake logs there.
    mkdirSync(join(box.home, '.claude'));
    log = join(box.home, '.claude', 'calls.jsonl');
    env = { PATH: process.env.PATH, HOME: box.home, FAKE_CLI_LOG: log };
    writeFileSync(join(box.dir, 'secret.txt'), 'outside the root');
    writeFileSync(join(box.target, 'main.ts'), 'export {};\n');
  });
  afterEach(() => box.cleanup());

  function setup(overrides: ConfigInput = {}) {
    const config = fakeConfig({ sandbox: 'bwrap', ...overrides });
    const availability = new CriticAvailability({ config, env });
    return { config, availability, env };
  }
  const critiques = () => readLog(log).filter((c) => !c.argv.includes('--version'));

  it('is detected at start and reported with the bwrap path', async () => {
    const status = await setup().availability.sandbox();
    expect(status).toMatchObject({ mode: 'bwrap', configured: 'bwrap' });
    expect(status.bwrap?.startsWith('/')).toBe(true);
  });

  it('shows the target read-only as the cwd and hides a file next to it', async () => {
    const deps = setup();
    const secret = join(box.dir, 'secret.txt');
    const inside = join(box.target, 'main.ts');
    await runCritic(deps, 'claude', { prompt: `p\n@@fake probe_read=${secret}` }, { cwd: box.target });
    await runCritic(deps, 'claude', { prompt: `p\n@@fake probe_read=${inside}` }, { cwd: box.target });
    const [outside, own] = critiques();
    expect(outside?.cwd).toBe(realpathSync(box.target));
    expect(outside?.cwdEntries).toEqual(['main.ts']);
    expect(outside?.probeRead).toBe('ENOENT');
    expect(own?.probeRead).toBe('ok');
    // The file is there on the host: ENOENT came from the sandbox, not from a missing file.
    expect(existsSync(secret)).toBe(true);
  });

  it('runs a no-file-access critic in its empty private dir inside the sandbox and removes it', async () => {
    await runCritic(setup(), 'claude', { prompt: 'p' }, { fileAccess: 'none' });
    const [call] = critiques();
    expect(call?.cwdEntries).toEqual([]);
    expect(call?.cwd.includes('brutalist-run-')).toBe(true);
    await privateDirsRemoved();
    expect(existsSync(call!.cwd)).toBe(false);
  });

  it('auto falls back to unconfined with a note when bwrap is missing; required, it refuses to run', async () => {
    const missing = join(box.dir, 'no-bwrap');
    const auto = setup({ sandbox: 'auto', bwrapBin: missing });
    expect(await auto.availability.sandbox()).toMatchObject({ mode: 'off', configured: 'auto' });
    expect((await auto.availability.sandbox()).note).toContain('bwrap not found');
    const required = setup({ bwrapBin: missing });
    expect(await codeOf(runCritic(required, 'claude', { prompt: 'p' }, { cwd: box.target }))).toBe(
      'SANDBOX_UNAVAILABLE',
    );
    expect(critiques()).toEqual([]);
  });
});

describe('through the engine: abstract domains and debates never run in the server cwd', () => {
  let box: ReturnType<typeof makeSandbox>;
  beforeEach(() => {
    box = makeSandbox('brutalist-critics-');
  });
  afterEach(() => box.cleanup());

  it('roast idea and every debate turn: a fresh empty private dir per critic run, gone afterwards', async () => {
    const env = { PATH: process.env.PATH, HOME: box.home, FAKE_CLI_LOG: box.log };
    const config = fakeConfig({ cacheTtlMs: 0, criticPreference: ['claude', 'codex'] });
    const availability = new CriticAvailability({ config, env });
    const store = new MemoryStateStore({ maxBytes: 1 << 24, maxEntries: 1_000, cacheMaxEntryBytes: 1 << 20 });
    const engine = new Engine({ config, store, availability, env });
    // A root that is the server's cwd: the old default put abstract critics right there.
    const ctx = { owner: 'me', roots: [process.cwd()], signal: new AbortController().signal };
    try {
      await engine.roast({ domain: 'idea', context: 'A to-do app for cats.', fields: {} }, ctx);
      await engine.debate(
        { topic: 'Tabs or spaces', proPosition: 'tabs', conPosition: 'spaces', rounds: 1 },
        ctx,
      );
    } finally {
      engine.close();
    }
    const calls = readLog(box.log).filter((c) => !c.argv.includes('--version'));
    expect(calls.length).toBe(3); // one roast critic, two debate turns
    expect(new Set(calls.map((c) => c.cwd)).size).toBe(3);
    await privateDirsRemoved();
    for (const call of calls) {
      expect(call.cwd).not.toBe(process.cwd());
      expect(call.cwdEntries).toEqual([]);
      expect(call.cwdMode).toBe(0o700);
      expect(existsSync(call.cwd)).toBe(false);
    }
  });
});
