// The command line, as a user runs it: help, version, config, doctor and a terminal roast against fake critics.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../src/infra/index.js';
import { CLI_JS, makeSandbox, serverEnv } from '../support/harness.js';

const sandbox = makeSandbox('brutalist-cli-');
afterAll(() => sandbox.cleanup());

function run(args: string[], env: Record<string, string> = serverEnv(sandbox), input?: string) {
  const r = spawnSync(process.execPath, [CLI_JS, ...args], {
    env,
    cwd: sandbox.project,
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
    const missing = join(sandbox.dir, 'missing');
    const none = run(['doctor'], {
      ...serverEnv(sandbox),
      BRUTALIST_CLAUDE_BIN: missing,
      BRUTALIST_CODEX_BIN: missing,
      BRUTALIST_GEMINI_BIN: missing,
    });
    expect(none.code).toBe(1);
    expect(none.stdout).toContain('missing CLI_NOT_FOUND');
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

  it('prints the whole of a long critique, across pages', () => {
    const r = run(['roast', 'idea', '--context', 'long\n@@fake spew_bytes=250000', '--cli', 'gemini']);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeGreaterThan(250_000);
  });

  it('reports a bad terminal roast with its code and exit 2', () => {
    const r = run(['roast', 'codebase', '--target', '/etc']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('PATH_OUTSIDE_ROOT');
    const bad = run(['roast', 'nonsense']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('INVALID_ARGUMENT');
  });
});
