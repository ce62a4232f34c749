// The command line, as a user runs it: help, version, config, doctor and a terminal roast against fake critics.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GEMINI_SYSTEM_DEFAULTS_PATH, geminiReadsSystemFile } from '../../src/critics/index.js';
import { DOMAIN_IDS } from '../../src/domains/index.js';
import { VERSION } from '../../src/infra/index.js';
import { CLI_JS, makeSandbox, readLog, serverEnv, waitFor } from '../support/harness.js';

const sandbox = makeSandbox('brutalist-cli-');
afterAll(() => sandbox.cleanup());

function run(
  args: string[],
  env: Record<string, string> = serverEnv(sandbox),
  input?: string,
  cwd = sandbox.project,
) {
  const r = spawnSync(process.execPath, [CLI_JS, ...args], {
    env,
    cwd,
    input,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('brutalist-mcp command line', () => {
  it('prints help and version', () => {
    expect(run(['--help'])).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('brutalist-mcp roast <domain>'),
    });
    expect(run(['--version'])).toMatchObject({ code: 0, stdout: `${VERSION}\n` });
  });

  it('rejects an unknown command with usage and exit 2', () => {
    const r = run(['frobnicate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Unknown command');
  });

  it('prints the resolved config, with env overrides applied', () => {
    const r = run(['config'], { ...serverEnv(sandbox), BRUTALIST_PAGE_CHARS: '12345' });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).pageChars).toBe(12_345);
  });

  it('refuses to start on an invalid config value, naming the option (exit 2)', () => {
    const r = run([], { ...serverEnv(sandbox), BRUTALIST_KILL_GRACE_MS: 'soon' });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'CONFIG_INVALID: killGraceMs must be an integer between 0 and 60000, got "soon" (string)',
    );
  });

  it('doctor lists the installed critics with versions, and exits 1 when none is found', () => {
    const ok = run(['doctor']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/claude\s+ok\s+2\.1\.197/);
    expect(ok.stdout).toMatch(/codex\s+ok\s+0\.169\.0/);
    // The same checks /readyz reports.
    expect(ok.stdout).toMatch(/check\s+critics\s+ok \(claude 2\.1\.197, /);
    expect(ok.stdout).toMatch(/check\s+store\s+ok/);
    const missing = join(sandbox.dir, 'missing');
    const none = run(['doctor'], {
      ...serverEnv(sandbox),
      BRUTALIST_CLAUDE_BIN: missing,
      BRUTALIST_CODEX_BIN: missing,
      BRUTALIST_GEMINI_BIN: missing,
      BRUTALIST_AGY_BIN: missing,
    });
    expect(none.code).toBe(1);
    expect(none.stdout).toContain('missing CLI_NOT_FOUND');
    expect(none.stdout).toMatch(/check\s+critics\s+down \(no critic CLI installed\)/);
  });

  it('roasts from the terminal, reading the material from stdin', () => {
    const r = run(
      ['roast', 'idea', '--context', '-', '--cli', 'codex'],
      serverEnv(sandbox),
      'An app that rates sandwiches',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('FAKE-CODEX CRITIQUE');
  });

  it('runs routed critics from the terminal: a config-file id in --cli and a per-run --client', () => {
    const env = serverEnv(sandbox, {
      BRUTALIST_ROUTED_TOKEN_ENVS: 'GW_TOKEN',
      GW_TOKEN: 'gw-token-terminal-51c0',
      BRUTALIST_ROUTED_CLIENTS: JSON.stringify([
        {
          id: 'named',
          provider: 'claude',
          baseUrl: 'https://named.example',
          authTokenEnv: 'GW_TOKEN',
          model: 'm1',
        },
      ]),
    });
    const client = {
      id: 'percall',
      provider: 'claude',
      baseUrl: 'https://percall.example',
      authTokenEnv: 'GW_TOKEN',
      model: 'm2',
    };
    const material = `terminal routed\n@@fake log=${sandbox.log}`;
    const r = run(
      ['roast', 'idea', '--context', material, '--cli', 'named', '--client', JSON.stringify(client)],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('roasting idea with named, percall');
    const routes = readLog(sandbox.log)
      .filter((l) => l.stdin.includes('terminal routed'))
      .map((l) => [l.env.ANTHROPIC_BASE_URL, l.env.ANTHROPIC_MODEL, l.env.ANTHROPIC_AUTH_TOKEN]);
    expect(routes.sort()).toEqual([
      ['https://named.example', 'm1', 'gw-token-terminal-51c0'],
      ['https://percall.example', 'm2', 'gw-token-terminal-51c0'],
    ]);
    // A per-run client naming a variable the config does not allow is refused before any critic starts.
    const refused = run(
      ['roast', 'idea', '--context', 'x', '--client', JSON.stringify({ ...client, authTokenEnv: 'HOME' })],
      env,
    );
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('ROUTED_TOKEN_ENV_REFUSED');
  }, 90_000);

  it('prints the whole of a long critique, across pages', () => {
    const r = run(['roast', 'idea', '--context', 'long\n@@fake spew_bytes=250000', '--cli', 'gemini']);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(250_000);
  });

  it('says why a critic failed: the error, then the Cause line with its exit class and stderr, exit 1', () => {
    const env = serverEnv(sandbox, { FAKE_CLI_STDERR: 'fatal: upstream refused the request' });
    const r = run(['roast', 'idea', '--context', 'an idea\n@@fake exit_code=3', '--cli', 'codex'], env);
    expect(r.code).toBe(1);
    const lines = r.stderr.trimEnd().split('\n');
    expect(lines.at(-2)).toMatch(/^brutalist-mcp: CLI_FAILED: /);
    expect(lines.at(-1)).toBe('Cause: exit:3: fatal: upstream refused the request');
  });

  it('reports a target outside the roots with its code, a hint and exit 2', () => {
    const r = run(['roast', 'codebase', '--target', '/etc']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('PATH_OUTSIDE_ROOT');
    expect(r.stderr).toContain('cd there first');
  });
});

describe('brutalist-mcp doctor: gemini system defaults', () => {
  it('warns when gemini would skip its system-defaults file (world-writable), and not for the shipped one', () => {
    const loose = join(sandbox.dir, 'loose-defaults');
    mkdirSync(loose, { mode: 0o777 });
    chmodSync(loose, 0o777);
    writeFileSync(join(loose, 'system-defaults.json'), '{}');
    const warned = run(['doctor'], {
      ...serverEnv(sandbox),
      GEMINI_API_KEY: 'k',
      BRUTALIST_GEMINI_SYSTEM_DEFAULTS_PATH: join(loose, 'system-defaults.json'),
    });
    expect(warned.stdout).toContain('WARNING gemini skips its system defaults');
    expect(warned.stdout).toContain('BRUTALIST_GEMINI_SYSTEM_DEFAULTS_PATH');
    const shipped = run(['doctor'], { ...serverEnv(sandbox), GEMINI_API_KEY: 'k' });
    expect(shipped.stdout.includes('WARNING gemini skips')).toBe(
      !geminiReadsSystemFile(GEMINI_SYSTEM_DEFAULTS_PATH),
    );
  });
});

describe('brutalist-mcp doctor: logins', () => {
  /** A fresh HOME per case: gemini's login lives in files under it. */
  function home(name: string, files: Record<string, string> = {}): string {
    const dir = join(sandbox.dir, `home-${name}`);
    mkdirSync(join(dir, '.gemini'), { recursive: true });
    for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, '.gemini', file), text);
    return dir;
  }
  const doctor = (extra: Record<string, string>) => run(['doctor'], { ...serverEnv(sandbox), ...extra });

  it('says how each critic is logged in, and exits 0', () => {
    const r = doctor({ HOME: home('in'), GEMINI_API_KEY: 'test-key' });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/claude\s+ok\s+2\.1\.197\s+logged in: Claude account \(max\)/);
    expect(r.stdout).toMatch(/codex\s+ok\s+0\.169\.0\s+logged in: ChatGPT/);
    expect(r.stdout).toMatch(/gemini\s+ok\s+0\.61\.0\s+logged in: API key \(GEMINI_API_KEY\)/);
    // The account's e-mail from `claude auth status` is not repeated.
    expect(r.stdout).not.toContain('@example.com');
  });

  it('says which critics are logged out with the command that fixes it, and exits 1 when none is ready', () => {
    const r = doctor({ HOME: home('out'), FAKE_CLI_LOGIN: 'none' });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('claude  ok      2.1.197  NOT logged in: run `claude auth login`');
    expect(r.stdout).toContain('codex   ok      0.169.0  NOT logged in: run `codex login`');
    expect(r.stdout).toContain('gemini  ok      0.61.0   NOT logged in: run `gemini` in a terminal');
  });

  it('counts API keys in the environment the critics get, as the CLIs do', () => {
    const r = doctor({
      HOME: home('env'),
      FAKE_CLI_LOGIN: 'none',
      ANTHROPIC_API_KEY: 'k1',
      CODEX_API_KEY: 'k2',
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('logged in: API key (ANTHROPIC_API_KEY)');
    expect(r.stdout).toContain('logged in: API key (CODEX_API_KEY)');
  });

  it('never prints the masked key codex shows for a saved API key', () => {
    const r = doctor({ HOME: home('key'), FAKE_CLI_LOGIN: 'apikey' });
    expect(r.stdout).toContain('codex   ok      0.169.0  logged in: API key (saved by codex login)');
    expect(r.stdout).not.toMatch(/sk-fake|SECRET12345/);
  });

  it('reads the gemini login from ~/.gemini: Google tokens, or their absence', () => {
    const settings = JSON.stringify({ security: { auth: { selectedType: 'oauth-personal' } } });
    const withTokens = doctor({
      HOME: home('google', { 'settings.json': settings, 'oauth_creds.json': '{}' }),
    });
    expect(withTokens.stdout).toMatch(/gemini\s+ok\s+0\.61\.0\s+logged in: Google account/);
    const without = doctor({ HOME: home('google-out', { 'settings.json': settings }) });
    expect(without.stdout).toMatch(/gemini\s+ok\s+0\.61\.0\s+NOT logged in/);
  });
});

describe('brutalist-mcp roast: usage mistakes exit 2 with a message that names the fix', () => {
  const ALL_DOMAINS = DOMAIN_IDS.join(', ');

  it.each([['--help'], ['-h']])('roast %s prints the roast usage on stdout, exit 0', (flag) => {
    const r = run(['roast', flag]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Usage: brutalist-mcp roast <domain> [options]');
    expect(r.stdout).toContain('--model CRITIC=MODEL');
    for (const id of DOMAIN_IDS) expect(r.stdout).toContain(id);
    expect(r.stderr).toBe('');
  });

  it.each([
    [['roast', 'idea', '--bogus'], 'unknown option --bogus'],
    [['roast', 'idea', '--context'], '--context needs a value'],
    [['roast', 'idea', '--context', '--json'], '--context needs a value'],
    [
      ['roast', 'idea', '--context-file', 'no-such-file.txt'],
      '--context-file no-such-file.txt: no such file',
    ],
    [['roast', 'idea', '--context-file', 'src'], '--context-file src: it is a folder'],
    [['roast', 'idea', '--context', 'x', '--model', 'claude'], 'give the model as claude=MODEL'],
    [['roast', 'idea', '--context', 'x', '--model', 'claude='], 'give the model as claude=MODEL'],
    [
      ['roast', 'idea', '--context', 'x', '--model', 'gpt=o3'],
      'the critic must be one of claude, codex, gemini',
    ],
    [
      ['roast', 'idea', '--context', 'x', '--cli', 'copilot'],
      '--cli copilot: the critics are claude, codex, gemini',
    ],
    [['roast', 'idea', 'stray words'], 'unexpected argument "stray words"'],
    [
      ['roast', 'idea'],
      'idea critiques the material you give: --context TEXT, --context-file FILE or --context -',
    ],
    [['roast'], `which domain? One of: ${ALL_DOMAINS}`],
    [['roast', 'nonsense'], `unknown domain "nonsense"; the domains are: ${ALL_DOMAINS}`],
  ])('%j', (args, message) => {
    const r = run(args);
    expect(r).toMatchObject({ code: 2, stdout: '' });
    expect(r.stderr).toMatch(/^brutalist-mcp roast: /);
    expect(r.stderr).toContain(message);
    expect(r.stderr).toContain('Run `brutalist-mcp roast --help` for usage.');
    expect(r.stderr).not.toMatch(/INTERNAL_ERROR|INVALID_ARGUMENT|Invalid option/);
  });

  it('never starts a critic for a usage mistake', () => {
    const log = join(sandbox.dir, 'usage.log');
    run(['roast', 'idea', '--context', 'x', '--model', 'claude'], {
      ...serverEnv(sandbox),
      FAKE_CLI_LOG: log,
    });
    expect(readLog(log)).toEqual([]);
  });

  it('says "not found" for a path that does not exist, inside or outside the working directory', () => {
    // An absolute path is shown as <path>: error text never carries host paths, not even the user's own.
    for (const [target, shown] of [
      ['missing-dir', 'missing-dir'],
      ['../elsewhere/missing', '../elsewhere/missing'],
      ['/no/such/place', '<path>'],
    ]) {
      const r = run(['roast', 'codebase', '--target', target!]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`PATH_NOT_FOUND: The path does not exist: --target ${shown}`);
      expect(r.stderr).not.toContain('PATH_OUTSIDE_ROOT');
    }
  });

  it('makes the working directory a root: a relative target resolves against it, whatever BRUTALIST_ROOTS says', () => {
    const elsewhere = { ...serverEnv(sandbox), BRUTALIST_ROOTS: sandbox.home };
    const r = run(['roast', 'file_structure', '--target', 'src', '--cli', 'claude'], elsewhere);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('FAKE-CLAUDE CRITIQUE');
    // Without --target a filesystem domain critiques the working directory.
    const dot = run(
      ['roast', 'codebase', '--cli', 'claude'],
      elsewhere,
      undefined,
      join(sandbox.project, 'src'),
    );
    expect(dot.code).toBe(0);
  });
});

describe('brutalist-mcp roast: output', () => {
  it('--json prints exactly one JSON object on stdout: contextId, the whole text and meta', () => {
    const r = run([
      'roast',
      'idea',
      '--json',
      '--cli',
      'gemini',
      '--context',
      'json\n@@fake spew_bytes=200000',
    ]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { contextId: string; text: string; meta: { cached: boolean } };
    expect(out.contextId).toMatch(/\S/);
    expect(out.text).toContain('FAKE SPEW critique text');
    expect(out.text.length).toBeGreaterThan(200_000);
    expect(out.meta.cached).toBe(false);
    expect(r.stdout.trimEnd().split('\n')).toHaveLength(1);
  });

  it('says on stderr when the critique comes from the cache, and --fresh runs the critics again', () => {
    const args = ['roast', 'idea', '--cli', 'codex', '--context', 'cache me'];
    const first = run(args);
    expect(first.code).toBe(0);
    expect(first.stderr).not.toContain('cache hit');
    const second = run(args);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stderr).toMatch(/cache hit: the same request was answered \d+ s ago/);
    const fresh = run([...args, '--fresh']);
    expect(fresh.stderr).not.toContain('cache hit');
  });

  it('prints its first progress line before the critic answers', async () => {
    const file = join(sandbox.dir, 'slow.txt');
    writeFileSync(file, 'slow idea\n@@fake delay_ms=3000\n');
    const child = spawn(
      process.execPath,
      [CLI_JS, 'roast', 'idea', '--cli', 'codex', '--context-file', file],
      {
        env: serverEnv(sandbox),
        cwd: sandbox.project,
      },
    );
    let stdout = '';
    let stderr = '';
    let exited = false;
    child.stdout.on('data', (c) => {
      stdout += c;
    });
    child.stderr.on('data', (c) => {
      stderr += c;
    });
    const done = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => {
        exited = true;
        resolve(code);
      }),
    );
    expect(await waitFor(() => stderr.includes('roasting idea with codex') || exited, 20_000)).toBe(true);
    // Ordering, not timing: the line is there while the critic is still thinking.
    expect(exited).toBe(false);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toBe('brutalist-mcp: roasting idea with codex… (Ctrl-C cancels)');
    expect(await done).toBe(0);
    expect(stdout).toContain('FAKE-CODEX CRITIQUE');
  });
});
