// Redis for tests: the shared server on 6379 under a unique key prefix (never flushed), or a private
// redis-server on a free port in a temp folder, and a TCP proxy the test can switch between modes.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { newToken } from '../../src/infra/index.js';

export const SHARED_REDIS_URL = process.env.BRUTALIST_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix no other test run uses. */
export function uniquePrefix(label: string): string {
  return `brutalist-test:${label}:${process.pid}:${newToken()}:`;
}

/** Deletes every key under `prefix` (SCAN + DEL, never FLUSH). */
export async function deletePrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on('error', () => {});
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** A free TCP port on 127.0.0.1 (bound and released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Stops the server (SIGKILL when `hard`, else SHUTDOWN which fsyncs the AOF). */
  stop(hard?: boolean): Promise<void>;
  /** Starts it again on the same port and folder (AOF replayed). */
  start(): Promise<void>;
  cleanup(): Promise<void>;
}

/**
 * A private redis-server on a free port in a temp folder: with AOF (appendfsync always), or with `durable: false`
 * no persistence at all (benchmarks: an fsync per write would measure the disk, not the queue).
 */
export async function startPrivateRedis({ durable = true } = {}): Promise<PrivateRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'brutalist-redis-'));
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        durable ? 'yes' : 'no',
        '--appendfsync',
        'always',
        '--save',
        '',
        '--daemonize',
        'no',
        '--logfile',
        join(dir, 'redis.log'),
      ],
      { stdio: 'ignore' },
    );
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    for (let i = 0; i < 100; i++) {
      try {
        await probe.connect();
        await probe.ping();
        probe.disconnect();
        return;
      } catch {
        probe.disconnect();
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    throw new Error('private redis-server did not start');
  };
  const stop = async (hard = false) => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return; // a SIGKILLed server has no exit code
    const exited = new Promise((r) => c.once('exit', r));
    c.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await exited;
  };
  await start();
  return {
    port,
    url,
    dir,
    stop,
    start,
    cleanup: async () => {
      await stop(true);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type ProxyMode = 'forward' | 'blackhole' | 'refuse';

export interface TcpProxy {
  readonly port: number;
  readonly url: string;
  /** forward: pass bytes both ways; blackhole: accept and swallow everything; refuse: close the listener. */
  setMode(mode: ProxyMode): Promise<void>;
  close(): Promise<void>;
}

/** A TCP proxy on a free port in front of `targetPort`; switching modes drops every open connection. */
export async function startProxy(targetPort: number): Promise<TcpProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let mode: ProxyMode = 'forward';
  let server: Server | undefined;
  const track = (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  };
  const listen = async () => {
    server = createServer((client) => {
      track(client);
      if (mode === 'blackhole') {
        client.resume();
        return;
      }
      const upstream = new Socket();
      track(upstream);
      upstream.connect(targetPort, '127.0.0.1');
      client.pipe(upstream);
      upstream.pipe(client);
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream.destroy());
    });
    await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve));
  };
  const unlisten = async () => {
    const s = server;
    server = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };
  await listen();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async setMode(next) {
      if (next === 'blackhole') {
        // Keep connections open but stop answering: the hardest failure to notice.
        mode = 'blackhole';
        for (const s of sockets) {
          s.unpipe();
          s.removeAllListeners('data');
          s.resume();
        }
        if (!server) await listen();
        return;
      }
      mode = next;
      for (const s of sockets) s.destroy();
      if (next === 'refuse') await unlisten();
      else if (!server) await listen();
    },
    async close() {
      for (const s of sockets) s.destroy();
      await unlisten();
    },
  };
}
