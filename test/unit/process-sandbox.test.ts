// The sandbox's pure parts: which bwrap failures mean "the working directory moved", what a CLI install needs.
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bwrapArgs, installFor } from '../../src/process/index.js';
import { infoChildPid, workdirBindFailed } from '../../src/process/sandbox.js';

describe('workdirBindFailed', () => {
  const workdir = '/srv/repo/pkg';
  const root = '/srv/repo';

  it('reads a vanished bind source as the target moving when it is the workdir or inside the root', () => {
    const line = (p: string) => `bwrap: Can't get type of source ${p}: No such file or directory\n`;
    expect(workdirBindFailed(line(workdir), workdir, undefined)).toBe(true);
    expect(workdirBindFailed(line('/srv/repo/renamed'), workdir, root)).toBe(true);
  });

  it('does not blame the target for a source outside the root, or when no root is known', () => {
    const line = "bwrap: Can't get type of source /home/u/.config: No such file or directory";
    expect(workdirBindFailed(line, workdir, root)).toBe(false);
    expect(
      workdirBindFailed(
        "bwrap: Can't get type of source /srv/repo/x: No such file or directory",
        workdir,
        undefined,
      ),
    ).toBe(false);
  });

  it('recognises the descriptor and race lines bwrap prints when the directory is swapped', () => {
    expect(
      workdirBindFailed("bwrap: Can't find source path /proc/self/fd/3: No such file", workdir, root),
    ).toBe(true);
    expect(workdirBindFailed('bwrap: Race condition binding dirfd', workdir, root)).toBe(true);
  });

  it('treats more than one line of stderr as the critic talking, never as a bind failure', () => {
    const tail = `critic said something\nbwrap: Race condition binding dirfd`;
    expect(workdirBindFailed(tail, workdir, root)).toBe(false);
    expect(workdirBindFailed('bwrap: execvp claude: No such file or directory', workdir, root)).toBe(false);
  });
});

describe('infoChildPid', () => {
  it('reads the init pid from bwrap info JSON, and nothing from a partial write', () => {
    expect(infoChildPid('{\n    "child-pid": 42\n}')).toBe(42);
    expect(infoChildPid('{"child-p')).toBeUndefined();
  });
});

describe('bwrapArgs', () => {
  it('binds the plan paths, the workdir from the descriptor slot and ends with the command', () => {
    const args = bwrapArgs(
      { bwrap: '/usr/bin/bwrap', readOnly: ['/opt/cli'], writable: ['/home/u/.cli'] },
      '/w',
      3,
      'cli',
      ['-p'],
      4,
    );
    const tail = args.slice(args.indexOf('/opt/cli') - 1);
    expect(tail).toEqual([
      '--ro-bind-try',
      '/opt/cli',
      '/opt/cli',
      '--bind-try',
      '/home/u/.cli',
      '/home/u/.cli',
      '--info-fd',
      '4',
      '--ro-bind-fd',
      '3',
      '/w',
      '--chdir',
      '/w',
      '--',
      'cli',
      '-p',
    ]);
    expect(bwrapArgs({ bwrap: 'b', readOnly: [], writable: [] }, '/w', 3, 'cli', [])).not.toContain(
      '--info-fd',
    );
  });
});

describe('installFor', () => {
  let dir: string;
  beforeEach(() => {
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'brutalist-install-')));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const script = (path: string, text: string) => {
    writeFileSync(path, text);
    chmodSync(path, 0o755);
  };

  it('shows the outermost node_modules of a packaged CLI, resolved through its PATH symlink', () => {
    const pkg = join(dir, 'lib', 'node_modules', '@v', 'cli', 'node_modules', 'inner', 'bin');
    mkdirSync(pkg, { recursive: true });
    script(join(pkg, 'cli.sh'), '#!/bin/sh\necho hi\n');
    mkdirSync(join(dir, 'bin'));
    symlinkSync(join(pkg, 'cli.sh'), join(dir, 'bin', 'cli'));
    const got = installFor(join(dir, 'bin', 'cli'), '');
    expect(got.exec).toBe(join(pkg, 'cli.sh'));
    expect(got.dirs).toEqual([join(dir, 'lib', 'node_modules')]);
  });

  it('adds the node that PATH picks for a node script, skipping relative and node-less entries', () => {
    const tool = join(dir, 'tool');
    const empty = join(dir, 'empty');
    const nodeBin = join(dir, 'nodebin');
    const nodeReal = join(dir, 'node-dist', 'bin');
    for (const d of [tool, empty, nodeBin, nodeReal]) mkdirSync(d, { recursive: true });
    script(join(tool, 'cli'), '#!/usr/bin/env node\n');
    script(join(nodeReal, 'node'), '');
    symlinkSync(join(nodeReal, 'node'), join(nodeBin, 'node'));
    const got = installFor(join(tool, 'cli'), `relative:${empty}:${nodeBin}:/usr/bin`);
    expect(got.dirs).toEqual([tool, nodeBin, nodeReal]);
  });

  it('skips a PATH node that is a dangling symlink and adds nothing for a non-node script', () => {
    const tool = join(dir, 'tool');
    const broken = join(dir, 'broken');
    mkdirSync(tool);
    mkdirSync(broken);
    script(join(tool, 'cli'), '#!/opt/node/bin/node\n');
    script(join(tool, 'sh-cli'), '#!/bin/sh\n');
    symlinkSync(join(dir, 'nowhere'), join(broken, 'node'));
    expect(installFor(join(tool, 'cli'), broken).dirs).toEqual([tool]);
    expect(installFor(join(tool, 'sh-cli'), broken).dirs).toEqual([tool]);
  });

  it('adds nothing for a binary under the system dirs, which are always shown', () => {
    expect(installFor('/bin/sh', '').dirs).toEqual([]);
  });

  it('throws for a missing binary (the caller resolved it first)', () => {
    expect(() => installFor(join(dir, 'missing'), '')).toThrow();
  });
});
