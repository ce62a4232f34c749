/** How a run's child is started: forked by this process (direct) or by the spawner process; one event interface. */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { bindToContext } from '../infra/index.js';
import { bwrapArgs } from './sandbox.js';
import type { RunSpec } from './types.js';
import type { PinnedWorkdir } from './workdir.js';

/** The stdio slot the pinned working directory's descriptor is passed in to bwrap. */
const WORKDIR_FD_SLOT = 3;
/** The stdio slot bwrap writes its --info-fd JSON to (the PID of its init). */
const INFO_FD_SLOT = 4;

/** What to start: the argv, cwd and env runProcess settled on, and the extra stdio slots bwrap needs. */
export interface LaunchSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** The pinned working directory: an open descriptor of this process, passed to the child as stdio slot 3. */
  readonly workdirFd?: number;
  /** Where that descriptor is under /proc (another process opens it there: same directory, not the same path). */
  readonly workdirFdPath?: string;
  /** Also a pipe on stdio slot 4 (bwrap's --info-fd). */
  readonly info: boolean;
}

/** A started child: its process group is led by `pid`; the streams are its stdio. */
export interface Launched {
  readonly pid: number;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly info: Readable | undefined;
}

/** What a launch reports, each at most once, in this order: spawned | failed, then exit | lost. */
export interface LaunchEvents {
  spawned(child: Launched): void;
  /** The child never started; `code` is the errno name (ENOENT, EACCES, ...). */
  failed(code: string): void;
  /** The leader was reaped. */
  exit(code: number | null, signal: NodeJS.Signals | null): void;
  /** The spawner died before it reported the exit: the run cannot know how the child ended. */
  lost(): void;
}

export type Launcher = (spec: LaunchSpec, events: LaunchEvents) => void;

/** errno name of a spawn error, or UNKNOWN. */
export function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException | undefined)?.code ?? 'UNKNOWN';
}

/** Forks this process (libuv spawn): cost grows with this process's resident memory. Reports spawned synchronously. */
export const directLaunch: Launcher = (spec, events) => {
  const stdio: Array<'pipe' | number> = ['pipe', 'pipe', 'pipe'];
  if (spec.workdirFd !== undefined) stdio[WORKDIR_FD_SLOT] = spec.workdirFd;
  if (spec.info) stdio[INFO_FD_SLOT] = 'pipe';
  let child: ChildProcess;
  try {
    // detached: the child calls setsid(), so it leads a new process group we can signal as a whole.
    child = spawn(spec.command, [...spec.args], {
      cwd: spec.cwd,
      env: { ...spec.env },
      shell: false,
      detached: true,
      stdio,
      windowsHide: true,
    });
  } catch (err) {
    events.failed(errnoOf(err));
    return;
  }
  const { pid, stdin, stdout, stderr } = child;
  if (pid === undefined || !stdin || !stdout || !stderr) {
    // After a failed spawn, 'error' follows on the next tick; the streams exist but never carry data.
    stdin?.on('error', () => {});
    stdin?.destroy();
    stdout?.destroy();
    stderr?.destroy();
    child.once('error', (err) => events.failed(errnoOf(err)));
    return;
  }
  // After a successful spawn, 'error' only reports failed kill()/send(), which we never call.
  child.on('error', () => {});
  child.on('exit', (code, signal) => events.exit(code, signal));
  const info = child.stdio[INFO_FD_SLOT];
  events.spawned({ pid, stdin, stdout, stderr, info: info && 'on' in info ? (info as Readable) : undefined });
};

/**
 * What to launch for a run: its own command, or (sandboxed, with a pinned directory) bwrap around it, given the
 * descriptor on slot 3 and a pipe on slot 4 for its info. `boundWorkdir` is the host path bwrap binds.
 */
export function launchSpecFor(
  spec: RunSpec,
  pinned: PinnedWorkdir | undefined,
): { launchSpec: LaunchSpec; boundWorkdir: string | undefined } {
  const cwd = pinned?.spawnCwd ?? spec.cwd;
  if (!spec.sandbox || pinned?.fd === undefined) {
    return {
      launchSpec: { command: spec.command, args: spec.args, cwd, env: spec.env, info: false },
      boundWorkdir: undefined,
    };
  }
  const args = bwrapArgs(spec.sandbox, pinned.path, WORKDIR_FD_SLOT, spec.command, spec.args, INFO_FD_SLOT);
  return {
    launchSpec: {
      command: spec.sandbox.bwrap,
      args,
      cwd,
      env: spec.env,
      workdirFd: pinned.fd,
      workdirFdPath: pinned.spawnCwd,
      info: true,
    },
    boundWorkdir: pinned.path,
  };
}

/** Destroys every stdio stream of a child (after a kill, or when its run no longer wants it). */
export function destroyStdio(child: Launched): void {
  for (const stream of [child.stdin, child.stdout, child.stderr, child.info]) stream?.destroy();
}

/**
 * Makes a child's stream errors harmless and returns its output streams (stdout, stderr, bwrap's info). The errors
 * are expected (EPIPE when the child never reads stdin, ERR_STREAM_DESTROYED after a kill): the exit is classified.
 */
export function quietStreams(child: Launched): Readable[] {
  const streams = [child.stdout, child.stderr, ...(child.info ? [child.info] : [])];
  for (const stream of [child.stdin, ...streams]) stream.on('error', () => {});
  return streams;
}

/** What a run does with its child's streams. */
export interface StdioHandlers {
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
  /** bwrap's --info-fd JSON. */
  info(chunk: Buffer): void;
  /** One of `open` closed. */
  closed(): void;
}

/**
 * Listens to a started child's streams, each handler run in the caller's async context (its request id in log
 * lines) rather than the context that made the streams: sockets handed over by the spawner were made in the
 * context of the call that started the spawner.
 */
export function listenToStdio(child: Launched, open: readonly Readable[], handlers: StdioHandlers): void {
  const bind = bindToContext('brutalist:stdio');
  const on = <A extends unknown[]>(stream: Readable, event: string, fn: (...args: A) => void) =>
    stream.on(event, bind(fn));
  for (const stream of open) on(stream, 'close', handlers.closed);
  if (child.info) on(child.info, 'data', handlers.info);
  on(child.stdout, 'data', handlers.stdout);
  on(child.stderr, 'data', handlers.stderr);
}
