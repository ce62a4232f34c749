// runCritic with the fake agy under the real pty wrapper: terminal text, the prompt file, refusals, and that a
// cancellation, a deadline or a killed wrapper reaches agy itself, which runs in a session of its own.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AGY_PROMPT_FILE, AGY_PTY_WRAPPER_PATH } from '../../src/critics/agy.js';
import { CriticAvailability, runCritic } from '../../src/critics/index.js';
import type { ConfigInput } from '../../src/engine/config.js';
import { ManualClock } from '../../src/infra/index.js';
import { buildChildEnv, privateDirsRemoved, runProcess } from '../../src/process/index.js';
import {
  brutalistRejection,
  fakeBin,
  fakeConfig,
  isAlive,
  makeSandbox,
  readLog,
  waitUntil,
} from '../support/harness.js';

const rejection = brutalistRejection;

/** The session id of a live process (field 6 of /proc/PID/stat), or undefined when it is gone. */
function sessionOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
  } catch {
    return undefined;
  }
}

describe('runCritic with the fake agy under a pseudo-terminal', () => {
  let box: ReturnType<typeof makeSandbox>;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    box = makeSandbox('brutalist-agy-');
    env = { PATH: process.env.PATH, HOME: box.home, FAKE_CLI_LOG: box.log, UNRELATED_SECRET: 'nope' };
  });
  afterEach(() => box.cleanup());

  function setup(overrides: ConfigInput = {}, clock?: ManualClock) {
    // Scratch folders go to the sandbox (never inside the target), so a test can look at them.
    const config = fakeConfig({ workDir: box.dir, ...overrides });
    const availability = new CriticAvailability({ config, env, ...(clock ? { clock } : {}) });
    return { config, availability, env, ...(clock ? { clock } : {}) };
  }
  const runs = () => readLog(box.log).filter((c) => !c.argv.includes('--version'));
  const run = (deps: ReturnType<typeof setup>, prompt: string, options: Record<string, unknown> = {}) =>
    runCritic(deps, 'agy', { prompt }, { cwd: box.target, ...options });

  it('returns the plain critique, the prompt in argv, in plan mode and its sandbox, auto-update off', async () => {
    const result = await run(setup(), 'Critique this plan: a rocket of cardboard.');
    expect(result.text).toBe('FAKE-AGY CRITIQUE: 42 prompt chars');
    expect(result).toMatchObject({ critic: 'agy', cliVersion: '1.0.5', exitClass: 'ok', truncated: false });
    expect(result.argv).toEqual([
      '--mode',
      'plan',
      '--sandbox',
      '--disable-slash-commands',
      '--print',
      '<prompt>',
    ]);
    const [call] = runs();
    expect(call?.argv.at(-1)).toBe('Critique this plan: a rocket of cardboard.');
    expect(call?.argv).not.toContain('--dangerously-skip-permissions');
    expect(call?.stdin).toBe('');
    expect(call?.cwd).toBe(box.target);
    expect(call?.env.AGY_CLI_DISABLE_AUTO_UPDATE).toBe('1');
    expect(call?.env.UNRELATED_SECRET).toBeUndefined();
  });

  it('gets nothing from agy on a pipe, which is why it runs under the wrapper', async () => {
    const bare = await runProcess({
      command: fakeBin('agy'),
      args: ['--print', 'hello'],
      cwd: box.target,
      env: buildChildEnv({ PATH: process.env.PATH ?? '', HOME: box.home }),
      timeoutMs: 20_000,
      stallTimeoutMs: 20_000,
      killGraceMs: 500,
      maxOutputBytes: 65_536,
      maxStderrBytes: 4_096,
    });
    expect(bare.exit).toEqual({ kind: 'ok' });
    expect(bare.stdoutBytes).toBe(0);
  });

  it("cannot be handed a prompt past the kernel's 128 KiB argv string limit (E2BIG), hence the prompt file", async () => {
    const tooLong = await runProcess({
      command: fakeBin('agy'),
      args: ['--print', 'x'.repeat(200_000)],
      cwd: box.target,
      env: buildChildEnv({ PATH: process.env.PATH ?? '', HOME: box.home }),
      timeoutMs: 20_000,
      stallTimeoutMs: 20_000,
      killGraceMs: 500,
      maxOutputBytes: 65_536,
      maxStderrBytes: 4_096,
    });
    expect(tooLong.exit).toEqual({ kind: 'spawn_error', errno: 'E2BIG' });
  });

  it('hands a 300 KB prompt over in a 0600 file in a private 0700 folder outside the target, removed after', async () => {
    const release = join(box.dir, 'release');
    const prompt = `${'Long context line.\n'.repeat(16_000)}@@fake wait_file=${release}\n@@fake text=READ THE FILE`;
    expect(Buffer.byteLength(prompt)).toBeGreaterThan(300_000);
    const pending = run(setup(), prompt);
    await waitUntil(() => runs().length === 1);
    const scratch = readdirSync(box.dir).filter((n) => n.startsWith('brutalist-scratch-'));
    expect(scratch).toHaveLength(1);
    const dir = join(box.dir, scratch[0]!);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, AGY_PROMPT_FILE)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, AGY_PROMPT_FILE), 'utf8')).toBe(prompt);
    const argv = runs()[0]!.argv;
    expect(argv[argv.indexOf('--add-dir') + 1]).toBe(dir);
    expect(Buffer.byteLength(argv.at(-1)!)).toBeLessThan(1_000);
    writeFileSync(release, '');
    const result = await pending;
    expect(result.text).toBe('READ THE FILE');
    expect(result.argv).toContain(`<prompt in a ${Buffer.byteLength(prompt)}-byte file>`);
    await privateDirsRemoved();
    expect(readdirSync(box.dir).filter((n) => n.startsWith('brutalist-scratch-'))).toEqual([]);
  });

  it.each([
    ['login=none', 'AUTH_REQUIRED', undefined],
    ['error=quota', 'QUOTA_EXCEEDED', 7_384_000],
  ] as const)('maps the refusal %s on stdout with exit 0 to %s', async (knob, code, retryAfterMs) => {
    const err = await rejection(run(setup(), `p\n@@fake ${knob}`));
    expect(err.code).toBe(code);
    expect(err.data.exitClass).toBe('ok');
    expect(err.data.retryAfterMs).toBe(retryAfterMs);
  });

  it('is MODEL_NOT_FOUND for a label agy does not know, and runs one it does', async () => {
    const deps = setup();
    const err = await rejection(
      runCritic(deps, 'agy', { prompt: 'p', model: 'Gemini 9 Ultra' }, { cwd: box.target }),
    );
    expect(err.code).toBe('MODEL_NOT_FOUND');
    const ok = await runCritic(
      deps,
      'agy',
      { prompt: 'p', model: 'Gemini 3.5 Flash (Medium)' },
      { cwd: box.target },
    );
    expect(ok.model).toBe('Gemini 3.5 Flash (Medium)');
  });

  /** Starts a hung agy that ignores SIGTERM and SIGHUP; resolves with the wrapper's and agy's pids. */
  async function hungAgy(deps: ReturnType<typeof setup>, options: Record<string, unknown> = {}) {
    env.FAKE_CLI_IGNORE_SIGHUP = '1';
    const pending = run(deps, 'p\n@@fake hang=1\n@@fake ignore_sigterm=1', options);
    pending.catch(() => {});
    await waitUntil(() => runs().length === 1);
    const agy = runs()[0]!.pid;
    const wrapper = runs()[0]!.ppid;
    // agy leads a session of its own: a kill of the wrapper's process group does not reach it.
    expect(sessionOf(agy)).toBe(agy);
    expect(sessionOf(wrapper)).not.toBe(agy);
    expect(readFileSync(`/proc/${wrapper}/cmdline`, 'utf8')).toContain(AGY_PTY_WRAPPER_PATH);
    return { pending, agy, wrapper };
  }

  it('cancels agy itself, not only the wrapper, even when agy ignores SIGTERM and SIGHUP', async () => {
    const controller = new AbortController();
    const { pending, agy, wrapper } = await hungAgy(setup({ killGraceMs: 1_000 }), {
      signal: controller.signal,
    });
    controller.abort();
    expect((await rejection(pending)).code).toBe('CANCELLED');
    await waitUntil(() => !isAlive(agy) && !isAlive(wrapper), 10_000);
  });

  it('stops agy at the deadline (CLI_TIMEOUT) and leaves no orphan', async () => {
    const clock = new ManualClock();
    const { pending, agy, wrapper } = await hungAgy(
      setup({ cliTimeoutMs: 5_000, killGraceMs: 1_000 }, clock),
    );
    clock.advance(5_000);
    clock.advance(1_000);
    expect((await rejection(pending)).code).toBe('CLI_TIMEOUT');
    await waitUntil(() => !isAlive(agy) && !isAlive(wrapper), 10_000);
  });

  it('takes agy down with the wrapper when the wrapper is killed outright (as after a failed cwd check)', async () => {
    const { pending, agy, wrapper } = await hungAgy(setup());
    process.kill(wrapper, 'SIGKILL');
    const err = await rejection(pending);
    expect(err.code).toBe('CLI_KILLED');
    await waitUntil(() => !isAlive(agy), 10_000);
  });
});
