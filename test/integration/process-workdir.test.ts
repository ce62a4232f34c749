// The runner's pinned working directory: checked by descriptor, entered through it, confirmed after spawn; and the
// pieces it is made of (pinWorkdir, checkChildCwd, makePrivateDir).
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  checkChildCwd,
  makePrivateDir,
  pinWorkdir,
  privateDirsRemoved,
  runProcess,
} from '../../src/process/index.js';
import { nodeSpec } from '../fixtures/proc/helpers.js';

let dir: string;
let root: string;
beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'brutalist-workdir-')));
  root = join(dir, 'root');
  mkdirSync(join(root, 'inner'), { recursive: true });
  mkdirSync(join(dir, 'outside'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const PRINT_CWD = ['-e', 'process.stdout.write(process.cwd())'];

describe('runProcess with a root', () => {
  it('runs the child in the pinned directory (its real path, not the /proc link)', async () => {
    const r = await runProcess({
      ...nodeSpec('exit-code.mjs'),
      args: PRINT_CWD,
      cwd: join(root, 'inner'),
      root,
    });
    expect(r.exit).toEqual({ kind: 'ok' });
    expect(r.stdout.toString()).toBe(join(root, 'inner'));
  });

  it('accepts a symlink that stays inside the root, refuses one that leaves it, and spawns nothing then', async () => {
    symlinkSync(join(root, 'inner'), join(root, 'alias'));
    symlinkSync(join(dir, 'outside'), join(root, 'escape'));
    const inside = await runProcess({
      ...nodeSpec('exit-code.mjs'),
      args: PRINT_CWD,
      cwd: join(root, 'alias'),
      root,
    });
    expect(inside.stdout.toString()).toBe(join(root, 'inner'));
    const leaving = await runProcess({
      ...nodeSpec('exit-code.mjs', ['0']),
      cwd: join(root, 'escape'),
      root,
    });
    expect(leaving).toMatchObject({ exit: { kind: 'cwd_outside_root' }, pid: undefined });
  });

  it('reports a missing or non-directory cwd as cwd_missing, with a root or without one', async () => {
    writeFileSync(join(root, 'file'), 'x');
    for (const cwd of [join(root, 'gone'), join(root, 'file')]) {
      expect((await runProcess({ ...nodeSpec('exit-code.mjs', ['0']), cwd, root })).exit).toEqual({
        kind: 'cwd_missing',
      });
      // Unpinned, uv_spawn's ENOENT for a missing cwd is no longer read as a missing command.
      expect((await runProcess({ ...nodeSpec('exit-code.mjs', ['0']), cwd })).exit).toEqual({
        kind: 'cwd_missing',
      });
    }
  });

  it('still tells a missing command from a missing cwd when the cwd is pinned', async () => {
    const r = await runProcess({
      ...nodeSpec('exit-code.mjs'),
      command: join(dir, 'no-such-cli'),
      cwd: root,
      root,
    });
    expect(r.exit).toEqual({ kind: 'not_found' });
  });
});

describe('the pieces', () => {
  it('pinWorkdir names the opened directory, and closing twice is harmless', () => {
    const pinned = pinWorkdir(join(root, 'inner'), root);
    if (typeof pinned === 'string') throw new Error(pinned);
    expect(pinned.path).toBe(join(root, 'inner'));
    expect(pinned.spawnCwd).toBe(`/proc/${process.pid}/fd/${pinned.fd}`);
    pinned.close();
    pinned.close();
    expect(pinWorkdir(join(dir, 'outside'), root)).toBe('cwd_outside_root');
    // A sibling whose name starts with the root's is not inside it.
    mkdirSync(`${root}-evil`);
    expect(pinWorkdir(`${root}-evil`, root)).toBe('cwd_outside_root');
  });

  it('checkChildCwd reads a live child: inside, outside, deleted, gone', async () => {
    const park = (cwd: string) =>
      spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { cwd, stdio: 'ignore' });
    const inside = park(join(root, 'inner'));
    const outside = park(join(dir, 'outside'));
    mkdirSync(join(root, 'doomed'));
    const doomed = park(join(root, 'doomed'));
    try {
      rmSync(join(root, 'doomed'), { recursive: true });
      expect(checkChildCwd(inside.pid!, root)).toBe('inside');
      expect(checkChildCwd(outside.pid!, root)).toBe('cwd_outside_root');
      expect(checkChildCwd(doomed.pid!, root)).toBe('cwd_missing');
    } finally {
      for (const child of [inside, outside, doomed]) child.kill('SIGKILL');
    }
    await new Promise((resolve) => inside.once('exit', resolve));
    expect(checkChildCwd(inside.pid!, root)).toBe('gone');
  });

  it('makePrivateDir makes a fresh empty 0700 dir each time and removes it with its contents', () => {
    const a = makePrivateDir(dir);
    const b = makePrivateDir(dir);
    expect(a.path).not.toBe(b.path);
    expect(statSync(a.path).mode & 0o777).toBe(0o700);
    writeFileSync(join(a.path, 'left-behind'), 'x');
    a.remove();
    a.remove();
    expect(existsSync(a.path)).toBe(false);
    b.remove();
  });

  it('removes private dirs in the background, empty or not: privateDirsRemoved resolves once every one is gone', async () => {
    const dirs = [makePrivateDir(dir), makePrivateDir(dir), makePrivateDir(dir)];
    // The last stays empty (one rmdir); the others fall back to the recursive removal.
    for (const [i, d] of dirs.slice(0, 2).entries()) writeFileSync(join(d.path, `left-${i}`), 'x');
    for (const d of dirs) d.removeInBackground();
    dirs[0]!.removeInBackground(); // twice: the second finds nothing and does not throw
    await privateDirsRemoved();
    for (const d of dirs) expect(existsSync(d.path)).toBe(false);
    await privateDirsRemoved(); // nothing pending: resolves at once
  });
});
