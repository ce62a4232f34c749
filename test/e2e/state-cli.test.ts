// The state commands of the command line: `state info`, `state backup`, the default XDG location, `doctor`'s
// state line, and a corrupt state file reported at start with where it was moved.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_JS, makeSandbox, serverEnv } from '../support/harness.js';

const sandbox = makeSandbox('brutalist-state-cli-');
afterAll(() => sandbox.cleanup());
const stateDir = join(sandbox.dir, 'state');

function run(args: string[], env: Record<string, string> = serverEnv(sandbox)) {
  const r = spawnSync(process.execPath, [CLI_JS, ...args], {
    env,
    cwd: sandbox.project,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('brutalist-mcp state', () => {
  it('state info reports the SQLite store, its file and health', () => {
    const r = run(['state', 'info']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      backend: 'sqlite',
      status: 'ok',
      location: join(stateDir, 'state.db'),
    });
  });

  it('puts the state under $XDG_STATE_HOME/brutalist-mcp when no stateDir is set', () => {
    const env = serverEnv(sandbox);
    delete (env as Record<string, string | undefined>).BRUTALIST_STATE_DIR;
    const xdg = join(sandbox.dir, 'xdg-state');
    const r = run(['state', 'info'], { ...env, XDG_STATE_HOME: xdg });
    expect(JSON.parse(r.stdout).location).toBe(join(xdg, 'brutalist-mcp', 'state.db'));
    expect(existsSync(join(xdg, 'brutalist-mcp', 'state.db'))).toBe(true);
  });

  it('state backup writes a copy of the live file', () => {
    const file = join(sandbox.dir, 'backup.db');
    expect(run(['state', 'backup', file])).toMatchObject({ code: 0 });
    expect(existsSync(file)).toBe(true);
  });

  it('doctor prints the state store line', () => {
    expect(run(['doctor']).stdout).toMatch(/^state: +sqlite ok$/m);
  });

  it('refuses to start on a corrupt state file, moves it aside, and starts fresh the next time', () => {
    const dir = join(sandbox.dir, 'corrupt');
    const env = { ...serverEnv(sandbox), BRUTALIST_STATE_DIR: dir };
    expect(run(['state', 'info'], env).code).toBe(0);
    writeFileSync(join(dir, 'state.db'), 'garbage '.repeat(1_000));
    const r = run(['state', 'info'], env);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /STATE_UNAVAILABLE: The state file was unreadable .* moved aside to state\.db\.corrupt-\d+ in the state folder/,
    );
    expect(readdirSync(dir).some((f) => f.startsWith('state.db.corrupt-'))).toBe(true);
    expect(run(['state', 'info'], env).code).toBe(0);
  });
});
