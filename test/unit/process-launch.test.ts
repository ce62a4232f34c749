// directLaunch's failure paths: a spawn that never starts reports `failed` once with an errno name, nothing else.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { directLaunch, type LaunchEvents, type LaunchSpec } from '../../src/process/index.js';
import { launchSpecFor } from '../../src/process/launch.js';
import type { RunSpec } from '../../src/process/types.js';
import type { PinnedWorkdir } from '../../src/process/workdir.js';

/** Launches and resolves with the first event: failed(code), or spawned → exit. */
function launch(spec: LaunchSpec): Promise<{ events: string[] }> {
  const events: string[] = [];
  return new Promise((resolve) => {
    const on: LaunchEvents = {
      spawned: (child) => {
        events.push('spawned');
        child.stdin.end();
      },
      failed: (code) => {
        events.push(`failed:${code}`);
        // Give any stray second event a tick to show up.
        setImmediate(() => resolve({ events }));
      },
      exit: (code) => {
        events.push(`exit:${code}`);
        resolve({ events });
      },
      lost: () => events.push('lost'),
    };
    directLaunch(spec, on);
  });
}

describe('directLaunch', () => {
  let dir: string;
  const base = (over: Partial<LaunchSpec>): LaunchSpec => ({
    command: '/bin/true',
    args: [],
    cwd: dir,
    env: { PATH: '/usr/bin:/bin' },
    info: false,
    ...over,
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'brutalist-launch-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts a child and reports its exit', async () => {
    expect((await launch(base({}))).events).toEqual(['spawned', 'exit:0']);
  });

  it('reports a missing command as failed ENOENT, after the call returns', async () => {
    let returned = false;
    const pending = launch(base({ command: join(dir, 'absent') }));
    returned = true;
    const { events } = await pending;
    expect(returned).toBe(true);
    expect(events).toEqual(['failed:ENOENT']);
  });

  it('reports a file without the execute bit as failed EACCES', async () => {
    const file = join(dir, 'not-exec');
    writeFileSync(file, '#!/bin/sh\n');
    chmodSync(file, 0o644);
    expect((await launch(base({ command: file }))).events).toEqual(['failed:EACCES']);
  });

  it('reports a cwd that does not exist as failed ENOENT', async () => {
    expect((await launch(base({ cwd: join(dir, 'gone') }))).events).toEqual(['failed:ENOENT']);
  });

  it('reports an argument spawn refuses outright (a NUL byte) as failed with its code, synchronously', () => {
    const events: string[] = [];
    directLaunch(base({ args: ['a\u0000b'] }), {
      spawned: () => events.push('spawned'),
      failed: (code) => events.push(`failed:${code}`),
      exit: () => events.push('exit'),
      lost: () => events.push('lost'),
    });
    expect(events).toEqual(['failed:ERR_INVALID_ARG_VALUE']);
  });
});

describe('launchSpecFor', () => {
  const spec = {
    command: '/usr/bin/cli',
    args: ['-p'],
    cwd: '/srv/repo',
    env: { PATH: '/usr/bin' },
    sandbox: { bwrap: '/usr/bin/bwrap', readOnly: [], writable: [] },
  } as unknown as RunSpec; // why: only the fields launchSpecFor reads

  it('runs the command itself when there is no pinned descriptor to hand to bwrap', () => {
    const { launchSpec, boundWorkdir } = launchSpecFor(spec, undefined);
    expect(launchSpec).toEqual({
      command: '/usr/bin/cli',
      args: ['-p'],
      cwd: '/srv/repo',
      env: spec.env,
      info: false,
    });
    expect(boundWorkdir).toBeUndefined();
  });

  it('wraps the command in bwrap with the pinned descriptor and an info pipe when sandboxed', () => {
    const pinned: PinnedWorkdir = { fd: 9, path: '/srv/repo', spawnCwd: '/proc/1/fd/9', close: () => {} };
    const { launchSpec, boundWorkdir } = launchSpecFor(spec, pinned);
    expect(launchSpec.command).toBe('/usr/bin/bwrap');
    expect(launchSpec).toMatchObject({
      cwd: '/proc/1/fd/9',
      workdirFd: 9,
      workdirFdPath: '/proc/1/fd/9',
      info: true,
    });
    expect(launchSpec.args.slice(-8)).toEqual([
      '--ro-bind-fd',
      '3',
      '/srv/repo',
      '--chdir',
      '/srv/repo',
      '--',
      '/usr/bin/cli',
      '-p',
    ]);
    expect(launchSpec.args).toContain('--info-fd');
    expect(boundWorkdir).toBe('/srv/repo');
  });
});
