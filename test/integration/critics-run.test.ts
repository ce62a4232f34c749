import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CriticAvailability, runCritic } from '../../src/critics/index.js';
import type { ConfigInput, CriticName } from '../../src/engine/config.js';
import { type Clock, ManualClock, sha256Hex } from '../../src/infra/index.js';
import {
  brutalistRejection,
  fakeConfig,
  isAlive,
  makeSandbox,
  readLog,
  waitUntil,
} from '../support/harness.js';

/** The critics that read their prompt from stdin (agy's argv prompt and terminal: critics-agy.test.ts). */
const CRITICS = ['claude', 'codex', 'gemini'] as const satisfies readonly CriticName[];
const VERSIONS = { claude: '2.1.197', codex: '0.169.0', gemini: '0.61.0' };
const VENDOR_KEY = { claude: 'ANTHROPIC_API_KEY', codex: 'OPENAI_API_KEY', gemini: 'GEMINI_API_KEY' };

const rejection = brutalistRejection;

describe.each(CRITICS)('runCritic with the fake %s', (critic) => {
  let box: ReturnType<typeof makeSandbox>;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    box = makeSandbox('brutalist-critics-');
    env = {
      PATH: process.env.PATH,
      HOME: box.home,
      FAKE_CLI_LOG: box.log,
      BRUTALIST_AUTH_TOKEN: 'server-secret',
      BRUTALIST_REDIS_URL: 'redis://secret@host',
      UNRELATED_SECRET: 'nope',
      ANTHROPIC_API_KEY: 'anthropic-key',
      OPENAI_API_KEY: 'openai-key',
      GEMINI_API_KEY: 'gemini-key',
    };
  });
  afterEach(() => box.cleanup());

  function setup(overrides: ConfigInput = {}, clock?: Clock) {
    const config = fakeConfig(overrides);
    const availability = new CriticAvailability({ config, env, ...(clock ? { clock } : {}) });
    return { config, availability, env, ...(clock ? { clock } : {}) };
  }
  const run = (
    deps: ReturnType<typeof setup>,
    prompt: string,
    options: Record<string, unknown> = {},
    model?: string,
  ) =>
    runCritic(
      deps,
      critic,
      { prompt, ...(model !== undefined ? { model } : {}) },
      { cwd: box.target, ...options },
    );
  const runCalls = () => readLog(box.log).filter((c) => !c.argv.includes('--version'));

  it('returns the critique with version, exit class, prompt hash, argv, usage and duration', async () => {
    const prompt = 'Critique this plan: build a rocket out of cardboard.';
    const release = join(box.dir, 'release');
    const clock = new ManualClock();
    const pending = run(setup({}, clock), `${prompt}\n@@fake wait_file=${release}`);
    await waitUntil(() => runCalls().length === 1);
    clock.advance(1_234);
    writeFileSync(release, '');
    const result = await pending;
    const sent = `${prompt}\n@@fake wait_file=${release}`;
    expect(result.text).toBe(`FAKE-${critic.toUpperCase()} CRITIQUE: ${sent.length} prompt chars`);
    expect(result).toMatchObject({
      critic,
      cliVersion: VERSIONS[critic],
      exitClass: 'ok',
      truncated: false,
      promptSha256: sha256Hex(sent),
      durationMs: 1_234,
    });
    // The recorded argv is what the CLI received, except that codex's run directory is masked.
    const received = runCalls()[0]!.argv;
    const differing = received.filter((arg, i) => arg !== result.argv[i]);
    expect(result.argv).toHaveLength(received.length);
    if (critic === 'codex') {
      expect(differing).toHaveLength(1);
      expect(differing[0]).toContain(realpathSync(box.target));
      expect(result.argv.join(' ')).not.toContain(box.dir);
    } else {
      expect(differing).toEqual([]);
    }
    expect(result.outputBytes).toBeGreaterThan(result.text.length);
    expect(result.usage?.outputTokens).toBeGreaterThan(0);
  });

  it('sends the prompt on stdin and never in argv, running in the target directory', async () => {
    const prompt = 'SECRET-PLAN-TEXT --dangerously-skip-permissions';
    await run(setup(), prompt);
    const [call] = runCalls();
    expect(call?.stdin).toBe(prompt);
    expect(call?.argv.some((a) => a.includes('SECRET-PLAN-TEXT'))).toBe(false);
    expect(call?.cwd).toBe(box.target);
  });

  it('passes the hardening flags and no permission-bypass flag', async () => {
    await run(setup(), 'p');
    const argv = runCalls()[0]?.argv ?? [];
    expect(argv.join(' ')).not.toMatch(/dangerously|skip-permissions|yolo|bypass|full-access/);
    if (critic === 'claude') {
      expect(argv).toEqual(expect.arrayContaining(['-p', '--no-session-persistence', '--strict-mcp-config']));
      expect(argv[argv.indexOf('--tools') + 1]).toBe('Read,Glob,Grep');
      expect(argv[argv.indexOf('--disallowedTools') + 1]!.split(',')).toEqual(
        expect.arrayContaining(['Bash', 'Edit', 'Write', 'WebFetch']),
      );
    } else if (critic === 'codex') {
      expect(argv[argv.indexOf('--sandbox') + 1]).toBe('read-only');
      expect(argv[argv.indexOf('-c') + 1]).toBe('approval_policy="never"');
      expect(argv.at(-1)).toBe('-');
    } else {
      expect(argv[argv.indexOf('--approval-mode') + 1]).toBe('default');
    }
  });

  it('gives the child only allowlisted env plus the recursion guard, never BRUTALIST_* secrets', async () => {
    await run(setup(), 'p');
    const childEnv = runCalls()[0]?.env ?? {};
    expect(childEnv[VENDOR_KEY[critic]]).toBeDefined();
    for (const other of Object.values(VENDOR_KEY).filter((k) => k !== VENDOR_KEY[critic])) {
      expect(childEnv[other]).toBeUndefined();
    }
    expect(childEnv.UNRELATED_SECRET).toBeUndefined();
    expect(Object.keys(childEnv).filter((k) => k.startsWith('BRUTALIST_'))).toEqual([
      'BRUTALIST_CRITIC_DEPTH',
    ]);
    expect(childEnv.BRUTALIST_CRITIC_DEPTH).toBe('1');
    expect(childEnv.FAKE_CLI_LOG).toBe(box.log);
  });

  it('passes the request model, else the configured default, and reports it', async () => {
    const modelKey = `${critic}Model` as const;
    const deps = setup({ [modelKey]: 'configured-model' });
    const viaRequest = await run(deps, 'p', {}, 'requested-model');
    const viaConfig = await run(deps, 'p');
    const [first, second] = runCalls();
    expect(first?.argv).toContain('requested-model');
    expect(second?.argv).toContain('configured-model');
    expect(viaRequest.model).toBe('requested-model');
    expect(viaConfig.model).toBe('configured-model');
    const noModel = await run(setup(), 'p');
    expect(runCalls()[2]?.argv.join(' ')).not.toMatch(/--model|(^| )-m /);
    if (critic === 'codex') expect(noModel.model).toBeUndefined();
  });

  it('refuses a model that could be read as an option, before spawning anything', async () => {
    const err = await rejection(run(setup(), 'p', {}, '--yolo'));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(runCalls()).toHaveLength(0);
  });

  it.each([
    ['auth', 'AUTH_REQUIRED'],
    ['rate_limit', 'RATE_LIMITED'],
    ['quota', 'QUOTA_EXCEEDED'],
    ['model_not_found', 'MODEL_NOT_FOUND'],
    ['server', 'CLI_FAILED'],
  ])('maps error=%s to %s with a short structured detail', async (knob, code) => {
    const err = await rejection(run(setup(), `critique\n@@fake error=${knob}\n`));
    expect(err.code).toBe(code);
    expect(err.data.critic).toBe(critic);
    expect(err.data.exitClass).toBe(critic === 'gemini' && knob === 'auth' ? 'exit:41' : 'exit:1');
    expect(typeof err.data.detail).toBe('string');
    expect(String(err.data.detail).length).toBeLessThanOrEqual(300);
    expect(err.message).not.toMatch(/\/tmp|\/home/);
  });

  it('is CLI_FAILED on a non-zero exit without a recognisable reason, its sanitized last stderr line the detail', async () => {
    const err = await rejection(run(setup(), 'p\n@@fake exit_code=3\n@@fake stderr=boom at /home/me/secret'));
    expect(err.code).toBe('CLI_FAILED');
    expect(err.data).toEqual({ critic, exitClass: 'exit:3', detail: 'boom at <path>' });
  });

  it('is CLI_OUTPUT_INVALID when the CLI exits 0 with an empty critique', async () => {
    const err = await rejection(run(setup(), 'p\n@@fake text='));
    expect(err.code).toBe('CLI_OUTPUT_INVALID');
    expect(err.data.exitClass).toBe('ok');
  });

  it('accepts a critique whose prose talks about rate limits and invalid keys', async () => {
    const result = await run(
      setup(),
      'p\n@@fake text=rate limit 429 invalid api key, quota gone, model not found',
    );
    expect(result.text).toBe('rate limit 429 invalid api key, quota gone, model not found');
  });

  it('stops a hung CLI at options.timeoutMs when it is tighter than the config (CLI_TIMEOUT)', async () => {
    const clock = new ManualClock();
    const pending = run(setup({ cliTimeoutMs: 600_000 }, clock), 'p\n@@fake hang=1', { timeoutMs: 2_000 });
    await waitUntil(() => runCalls().length === 1);
    clock.advance(2_000);
    const err = await rejection(pending);
    expect(err.code).toBe('CLI_TIMEOUT');
    expect(err.data.exitClass).toBe('timeout');
  });

  it('still reports CLI_TIMEOUT when the CLI ignores SIGTERM and needs SIGKILL', async () => {
    const clock = new ManualClock();
    const pending = run(
      setup({ cliTimeoutMs: 5_000, killGraceMs: 1_000 }, clock),
      'p\n@@fake hang=1\n@@fake ignore_sigterm=1',
    );
    await waitUntil(() => runCalls().length === 1);
    clock.advance(5_000);
    expect(isAlive(runCalls()[0]?.pid ?? 0)).toBe(true);
    clock.advance(1_000);
    expect((await rejection(pending)).code).toBe('CLI_TIMEOUT');
  });

  it('stops a CLI that goes silent for stallTimeoutMs (CLI_STALLED)', async () => {
    const clock = new ManualClock();
    const pending = run(setup({ stallTimeoutMs: 30_000, cliTimeoutMs: 600_000 }, clock), 'p\n@@fake hang=1');
    await waitUntil(() => runCalls().length === 1);
    clock.advance(30_000);
    expect((await rejection(pending)).code).toBe('CLI_STALLED');
  });

  it('stops the CLI when the caller aborts (CANCELLED)', async () => {
    const controller = new AbortController();
    const pending = run(setup(), 'p\n@@fake hang=1', { signal: controller.signal });
    await waitUntil(() => runCalls().length === 1);
    controller.abort();
    const err = await rejection(pending);
    expect(err.code).toBe('CANCELLED');
    expect(err.data.exitClass).toBe('cancelled');
  });

  it('returns a truncated success with the partial critique when the output cap is hit', async () => {
    const chunks: Buffer[] = [];
    const result = await run(setup({ maxOutputBytes: 64 * 1024 }), 'p\n@@fake spew_bytes=400000', {
      onStdout: (c: Buffer) => chunks.push(c),
    });
    expect(result.truncated).toBe(true);
    expect(result.exitClass).toBe('output_cap');
    // The cap counts answer bytes: the run stops once the text passes it, and exactly the cap is kept.
    expect(Buffer.byteLength(result.text)).toBe(64 * 1024);
    expect(result.outputBytes).toBeLessThan(400_000);
    expect(result.text.replaceAll('\n\n', '').startsWith('FAKE SPEW critique text')).toBe(true);
    expect(Buffer.concat(chunks).length).toBeGreaterThan(64 * 1024);
    expect(Buffer.concat(chunks).length).toBeLessThanOrEqual(result.outputBytes);
  });

  it('is CLI_KILLED when the CLI dies by a signal mid-output', async () => {
    const err = await rejection(run(setup(), 'p\n@@fake spew_bytes=100000\n@@fake crash_after_bytes=30000'));
    expect(err.code).toBe('CLI_KILLED');
    expect(err.data.exitClass).toBe('signal:SIGKILL');
  });

  it('leaves no grandchild running after the run', async () => {
    const pidfile = join(box.dir, 'grandchild.pid');
    const result = await run(
      setup({ killGraceMs: 2_000 }),
      `p\n@@fake grandchild=1\n@@fake pidfile=${pidfile}`,
    );
    expect(result.exitClass).toBe('ok');
    const pid = Number(readFileSync(pidfile, 'utf8'));
    await waitUntil(() => !isAlive(pid), 5_000);
  });

  it('is CLI_NOT_FOUND without spawning when the binary is missing', async () => {
    const binKey = `${critic}Bin` as const;
    const err = await rejection(run(setup({ [binKey]: join(box.dir, 'missing', critic) }), 'p'));
    expect(err.code).toBe('CLI_NOT_FOUND');
    expect(err.message).not.toContain(box.dir);
  });
});

describe('runCritic with the fake claude losing its final burst (claude 2.1.197 on a pipe)', () => {
  it('recovers the whole critique from the streamed deltas', async () => {
    const box = makeSandbox('brutalist-critics-');
    try {
      const config = fakeConfig({});
      const env = { PATH: process.env.PATH, HOME: box.home, FAKE_CLI_LOG: box.log };
      const availability = new CriticAvailability({ config, env });
      const result = await runCritic(
        { config, availability, env },
        'claude',
        { prompt: 'p\n@@fake spew_bytes=200000\n@@fake lose_tail=1' },
        { cwd: box.target },
      );
      expect(result.exitClass).toBe('ok');
      expect(result.text.length).toBe(200_000);
      expect(result.text.startsWith('FAKE SPEW critique text')).toBe(true);
    } finally {
      box.cleanup();
    }
  });
});
