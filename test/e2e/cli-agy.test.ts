// `brutalist-mcp doctor` for agy, as a user runs it: found, which binary (the IDE's launcher passed over), the
// login read from files without a browser, and the version read through the pty wrapper.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_JS, fakeBin, makeSandbox, serverEnv } from '../support/harness.js';

const sandbox = makeSandbox('brutalist-cli-agy-');
afterAll(() => sandbox.cleanup());

function doctor(env: Record<string, string>) {
  const r = spawnSync(process.execPath, [CLI_JS, 'doctor'], {
    env,
    cwd: sandbox.project,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout };
}

/** The doctor lines about agy: its status line and the indented lines under it. */
function agyLines(stdout: string): string {
  const lines = stdout.split('\n');
  const at = lines.findIndex((l) => l.startsWith('agy '));
  const rest = lines.slice(at + 1);
  const end = rest.findIndex((l) => !l.startsWith('        '));
  return [lines[at], ...rest.slice(0, end < 0 ? rest.length : end)].join('\n');
}

describe('brutalist-mcp doctor: agy', () => {
  it('shows agy found, its binary, its version through the terminal wrapper, and that it is signed out', () => {
    const out = agyLines(doctor(serverEnv(sandbox)).stdout);
    expect(out).toMatch(
      /^agy\s+ok\s+1\.0\.5\s+NOT logged in: run `agy` once in a terminal and sign in with Google/,
    );
    expect(out).toContain(`binary ${fakeBin('agy')}`);
  });

  it('reads a saved sign-in from ~/.gemini/antigravity-cli without opening a browser', () => {
    const home = join(sandbox.dir, 'home-signed-in');
    mkdirSync(join(home, '.gemini', 'antigravity-cli'), { recursive: true });
    writeFileSync(join(home, '.gemini', 'antigravity-cli', 'oauth_creds.json'), '{"refresh_token":"x"}');
    const out = agyLines(doctor({ ...serverEnv(sandbox), HOME: home }).stdout);
    expect(out).toMatch(/agy\s+ok\s+1\.0\.5\s+logged in: Google account/);
  });

  it("passes over the Antigravity IDE's launcher first on PATH for the CLI in ~/.local/bin, and says so", () => {
    const ideBin = join(sandbox.dir, 'Antigravity', 'resources', 'app', 'bin');
    mkdirSync(ideBin, { recursive: true });
    writeFileSync(
      join(ideBin, 'agy'),
      '#!/usr/bin/env sh\nELECTRON_RUN_AS_NODE=1 exec "$VSCODE_PATH" "$@"\n',
    );
    chmodSync(join(ideBin, 'agy'), 0o755);
    const home = join(sandbox.dir, 'home-ide');
    mkdirSync(join(home, '.local', 'bin'), { recursive: true });
    symlinkSync(fakeBin('agy'), join(home, '.local', 'bin', 'agy'));
    const env = {
      ...serverEnv(sandbox),
      HOME: home,
      PATH: `${ideBin}:${process.env.PATH}`,
      BRUTALIST_AGY_BIN: 'agy',
    };
    const out = agyLines(doctor(env).stdout);
    expect(out).toMatch(/^agy\s+ok\s+1\.0\.5/);
    expect(out).toContain(`binary ${join(home, '.local', 'bin', 'agy')}`);
    expect(out).toContain('note the agy first on PATH');
    expect(out).toContain("is the Antigravity IDE's launcher; using the Antigravity CLI at");
    // Without the CLI installed, the launcher is refused with what to do.
    const bare = agyLines(doctor({ ...env, HOME: join(sandbox.dir, 'nobody') }).stdout);
    expect(bare).toMatch(/^agy\s+missing CLI_NOT_FOUND/);
    expect(bare).toContain('install the Antigravity CLI');
  });
});
