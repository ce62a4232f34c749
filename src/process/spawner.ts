/**
 * The spawner process: a small long-lived Node child, started lazily, that forks critics for the server so a spawn
 * costs the same whatever the server's resident size, and never blocks the server's event loop while the child
 * execs. The children's stdio sockets come back over the IPC channel; signals go straight to their process groups.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { bindToContext } from '../infra/index.js';
import { directLaunch, type LaunchEvents, type Launcher, type LaunchSpec } from './launch.js';
import { SPAWNER_SOURCE } from './spawner-source.js';

/** The spawner needs a few MB of heap: its young generation and old space are capped well below Node's defaults. */
const SPAWNER_NODE_FLAGS = ['--max-semi-space-size=1', '--max-old-space-size=32'];
/** What an in-flight launch reports when the spawner exits under it (ExitClass spawn_error, CLI_SPAWN_FAILED). */
export const SPAWNER_LOST = 'ESPAWNER';

type Message =
  | { t: 'ready' }
  | { t: 'failed'; id: number; code: string }
  | { t: 'spawned'; id: number; pid: number }
  | { t: 'fd'; id: number; slot: number }
  | { t: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null };

/** One launch between the request and the exit report. */
interface Pending {
  readonly spec: LaunchSpec;
  readonly events: LaunchEvents;
  pid?: number;
  readonly slots: Map<number, Socket>;
  /** spawned was reported to the run (all stdio sockets arrived). */
  started: boolean;
}

/** One spawner process and the launches it owes an answer to. */
class SpawnerProcess {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private readonly queued: number[] = [];
  private nextId = 0;
  private ready = false;
  private dead = false;

  constructor(private readonly onDead: (self: SpawnerProcess, beforeReady: boolean) => void) {
    // An empty env: nothing of the server's (NODE_OPTIONS included) shapes the spawner; each child gets its own env.
    this.child = spawn(process.execPath, [...SPAWNER_NODE_FLAGS, '-'], {
      stdio: ['pipe', 'ignore', 'ignore', 'ipc'],
      env: {},
      serialization: 'json',
    });
    this.child.stdin?.on('error', () => {});
    this.child.stdin?.end(SPAWNER_SOURCE);
    this.child.on('message', (m: Message, handle: unknown) => this.onMessage(m, handle));
    this.child.on('error', () => this.die());
    this.child.on('exit', () => this.die());
    this.child.on('disconnect', () => this.die());
    this.idle();
  }

  get alive(): boolean {
    return !this.dead;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  launch(spec: LaunchSpec, events: LaunchEvents): void {
    const id = this.nextId++;
    // The reports arrive in the IPC channel's context (that of the call that started the spawner): each runs in
    // the context of the run that asked, so its log lines carry that request's id.
    const bind = bindToContext('brutalist:launch');
    const bound: LaunchEvents = {
      spawned: bind(events.spawned),
      failed: bind(events.failed),
      exit: bind(events.exit),
      lost: bind(events.lost),
    };
    this.pending.set(id, { spec, events: bound, slots: new Map(), started: false });
    this.busy();
    if (this.ready) this.send(id);
    else this.queued.push(id);
  }

  /** Disconnects: the spawner SIGKILLs the groups it still has and exits. */
  stop(): void {
    if (this.child.connected) this.child.disconnect();
  }

  private send(id: number): void {
    const p = this.pending.get(id);
    if (!p) return;
    const { spec } = p;
    this.child.send({
      t: 'spawn',
      id,
      command: spec.command,
      args: spec.args,
      cwd: spec.cwd,
      env: spec.env,
      ...(spec.workdirFdPath !== undefined ? { dirFdPath: spec.workdirFdPath } : {}),
      info: spec.info,
    });
  }

  private onMessage(m: Message, handle: unknown): void {
    if (m.t === 'ready') {
      this.ready = true;
      for (const id of this.queued.splice(0)) this.send(id);
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    switch (m.t) {
      case 'failed':
        this.settle(m.id);
        p.events.failed(m.code);
        return;
      case 'spawned':
        p.pid = m.pid;
        return;
      case 'fd':
        if (isSocket(handle)) {
          // It reads from now on: an error before the run listens must not be an uncaught exception.
          handle.on('error', () => {});
          p.slots.set(m.slot, handle);
        }
        this.maybeStarted(p);
        return;
      case 'exit':
        this.settle(m.id);
        p.events.exit(m.code, m.signal);
        return;
    }
  }

  private maybeStarted(p: Pending): void {
    const { slots, pid } = p;
    const stdin = slots.get(0);
    const stdout = slots.get(1);
    const stderr = slots.get(2);
    const info = slots.get(4);
    if (p.started || pid === undefined || !stdin || !stdout || !stderr || (p.spec.info && !info)) return;
    p.started = true;
    p.events.spawned({ pid, stdin, stdout, stderr, info });
  }

  private settle(id: number): void {
    this.pending.delete(id);
    if (this.pending.size === 0) this.idle();
  }

  /** While launches are owed an answer, the channel keeps this process alive; idle, it does not. */
  private busy(): void {
    this.child.ref();
    this.child.channel?.ref();
  }

  private idle(): void {
    this.child.unref();
    this.child.channel?.unref();
  }

  private die(): void {
    if (this.dead) return;
    this.dead = true;
    const beforeReady = !this.ready;
    const owed = [...this.pending.values()];
    this.pending.clear();
    this.onDead(this, beforeReady);
    for (const p of owed) {
      for (const socket of p.slots.values()) socket.destroy();
      if (beforeReady) directLaunch(p.spec, p.events);
      else if (p.started) p.events.lost();
      else {
        // Spawned but its sockets never all arrived: the run never saw it, so nothing of it may stay behind.
        if (p.pid !== undefined) killGroup(p.pid);
        p.events.failed(SPAWNER_LOST);
      }
    }
  }
}

function isSocket(handle: unknown): handle is Socket {
  return typeof handle === 'object' && handle !== null && 'setNoDelay' in handle;
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * `auto` uses the spawner on Linux; `off` forks this process for every run. A spawner that exits before it is
 * ready (no usable Node at execPath, a sandbox forbidding it) turns `auto` into `off` for the life of this process;
 * one that dies later is started again on the next run.
 */
export type SpawnerMode = 'auto' | 'off';

let mode: SpawnerMode = process.platform === 'linux' ? 'auto' : 'off';
let current: SpawnerProcess | undefined;

/** Sets how runs are launched from now on (config `spawner`); `off` also stops a running spawner (call it before runs start). */
export function configureSpawner(next: SpawnerMode): void {
  mode = process.platform === 'linux' ? next : 'off';
  if (mode === 'off') stopSpawner();
}

/** The launcher runProcess uses: the spawner in `auto` mode, else a direct fork. */
export const defaultLaunch: Launcher = (spec, events) => {
  if (mode === 'off') {
    directLaunch(spec, events);
    return;
  }
  if (!current?.alive) {
    current = new SpawnerProcess((dead, beforeReady) => {
      if (current === dead) current = undefined;
      if (beforeReady) mode = 'off';
    });
  }
  current.launch(spec, events);
};

/** Disconnects the spawner (it kills the groups it still holds, then exits); the next run starts a new one. */
export function stopSpawner(): void {
  current?.stop();
  current = undefined;
}

/** The spawner's pid while one runs (tests and diagnostics). */
export function spawnerPid(): number | undefined {
  return current?.alive ? current.pid : undefined;
}
