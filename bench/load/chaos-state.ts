// Chaos of the state store: Redis killed, restarted and blackholed under a server that uses it (through a TCP proxy
// this script controls), and SQLite's disk filling up (its state folder on a small tmpfs). The pass criterion of
// both: no lost request (every call answered: a critique or a typed error, never a hang or a dropped connection),
// the server alive, and recovery once the store is back, with the recovery time measured.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { isAlive } from '../../test/support/harness.js';
import { startPrivateRedis, startProxy } from '../../test/support/redis.js';
import {
  answered,
  type Call,
  type CaseResult,
  codesOf,
  roast,
  type Server,
  skipped,
  start,
  verdict,
} from './chaos-support.js';

/** How long a call may take while the store is away (each store step is bounded by the command timeout). */
const OUTAGE_ANSWER_LIMIT_MS = 5_000;
/** How long the server may take to use the store again once it is back. */
const RECOVERY_LIMIT_MS = 30_000;
const REDIS_COMMAND_TIMEOUT_MS = 200;

async function stateStatus(server: Server): Promise<string> {
  try {
    const r = (await server.client.callTool({ name: 'cli_agent_roster', arguments: {} })) as CallToolResult;
    return (r.structuredContent as { state?: { status?: string } }).state?.status ?? 'unknown';
  } catch {
    return 'transport';
  }
}

/** Milliseconds until the roster reads the store `ok` again, or undefined past the limit. */
async function recoveryMs(server: Server): Promise<number | undefined> {
  const started = performance.now();
  while (performance.now() - started < RECOVERY_LIMIT_MS) {
    if ((await stateStatus(server)) === 'ok') return Math.round(performance.now() - started);
    await new Promise((r) => setTimeout(r, 250));
  }
  return undefined;
}

/** `n` critiques in a row, each a new one (no cache hit hides the store). */
async function burst(server: Server, n: number, tag: string): Promise<Call[]> {
  const calls: Call[] = [];
  for (let i = 0; i < n; i++) calls.push(await roast(server, '', `${tag} ${i} ${performance.now()}`));
  return calls;
}

const phase = (calls: readonly Call[]) => ({
  outcomes: codesOf(calls),
  maxMs: Math.round(Math.max(...calls.map((c) => c.ms))),
});
const allOk = (calls: readonly Call[]) =>
  calls.every((c) => c.code === 'ok' && c.ms < OUTAGE_ANSWER_LIMIT_MS);

/** Redis SIGKILLed, started again, then blackholed (connections open, no answers), then back. */
export async function redisOutage(): Promise<CaseResult> {
  const name = 'Redis stop, restart, blackhole';
  const criterion = `every critique answered ok within ${OUTAGE_ANSWER_LIMIT_MS} ms while Redis is away (the server degrades to its in-process store), the roster reads the store degraded, and ok again within ${RECOVERY_LIMIT_MS} ms of Redis returning`;
  const redis = await startPrivateRedis();
  const proxy = await startProxy(redis.port);
  const server = await start({
    BRUTALIST_STATE_STORE: 'redis',
    BRUTALIST_REDIS_URL: proxy.url,
    BRUTALIST_REDIS_KEY_PREFIX: `brutalist-chaos:${process.pid}:`,
    BRUTALIST_REDIS_COMMAND_TIMEOUT_MS: String(REDIS_COMMAND_TIMEOUT_MS),
  });
  try {
    const before = await burst(server, 2, 'redis baseline');
    await redis.stop(true);
    const stopped = await burst(server, 5, 'redis stopped');
    const statusStopped = await stateStatus(server);
    await redis.start();
    const afterRestartMs = await recoveryMs(server);
    const restarted = await burst(server, 2, 'redis restarted');
    await proxy.setMode('blackhole');
    const blackholed = await burst(server, 5, 'redis blackholed');
    const statusBlackholed = await stateStatus(server);
    await proxy.setMode('forward');
    const afterBlackholeMs = await recoveryMs(server);
    const back = await burst(server, 2, 'redis back');
    const checks =
      [before, stopped, restarted, blackholed, back].every(allOk) &&
      statusStopped === 'degraded' &&
      statusBlackholed === 'degraded' &&
      afterRestartMs !== undefined &&
      afterBlackholeMs !== undefined;
    return verdict(server, name, criterion, checks, {
      baseline: phase(before),
      stopped: { ...phase(stopped), status: statusStopped },
      recoveryAfterRestartMs: afterRestartMs ?? `> ${RECOVERY_LIMIT_MS}`,
      restarted: phase(restarted),
      blackholed: { ...phase(blackholed), status: statusBlackholed },
      recoveryAfterBlackholeMs: afterBlackholeMs ?? `> ${RECOVERY_LIMIT_MS}`,
      back: phase(back),
    });
  } finally {
    await server.close();
    await proxy.close();
    await redis.cleanup();
  }
}

/** Mounts a tmpfs of `sizeKiB` on a new folder; undefined (with why) when this machine does not allow it. */
function mountTmpfs(sizeKiB: number): { dir: string } | { reason: string } {
  const dir = mkdtempSync(join(tmpdir(), 'brutalist-chaos-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k,mode=0700`, 'tmpfs', dir], {
      stdio: 'pipe',
    });
    return { dir };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    const why = String((err as { stderr?: Buffer }).stderr ?? (err as Error).message)
      .trim()
      .split('\n')[0];
    return {
      reason: `cannot mount a tmpfs here (${why}); SQLite's max_page_count would need a server option`,
    };
  }
}

/** Fills the filesystem of `dir` with one file until ENOSPC; returns its path. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const chunk = Buffer.alloc(4096, 0x61);
  let bytes = Buffer.alloc(0);
  for (;;) {
    try {
      bytes = Buffer.concat([bytes, chunk]);
      writeFileSync(path, bytes);
    } catch {
      return path;
    }
  }
}

/** SQLite's folder on a 2 MiB tmpfs, filled to the last byte while critiques keep coming, then freed. */
export async function sqliteFull(): Promise<CaseResult> {
  const name = 'SQLite disk full';
  const criterion =
    'while the disk is full every call is answered (a critique or a typed error, none dropped) and the server stays up; once space is freed a new result is stored again (its repeat is served from the cache)';
  const mounted = mountTmpfs(2048);
  if ('reason' in mounted) return skipped(name, criterion, mounted.reason);
  let server: Server | undefined;
  try {
    server = await start({
      BRUTALIST_STATE_DIR: join(mounted.dir, 'state'),
      BRUTALIST_CACHE_TTL_MS: '600000',
    });
    const before = await roast(server, 'spew_bytes=20000', 'sqlite baseline');
    const filler = fill(mounted.dir);
    const full: Call[] = [];
    for (let i = 0; i < 5; i++) full.push(await roast(server, 'spew_bytes=100000', `sqlite full ${i}`));
    const aliveWhileFull = isAlive(server.pid);
    unlinkSync(filler);
    const freed = performance.now();
    const after = await roast(server, 'spew_bytes=20000', 'sqlite freed');
    const repeat = await roast(server, 'spew_bytes=20000', 'sqlite freed');
    const cached = (repeat.result?.structuredContent as { cached?: boolean } | undefined)?.cached === true;
    const pass =
      before.code === 'ok' && full.every(answered) && aliveWhileFull && after.code === 'ok' && cached;
    return {
      name,
      criterion,
      pass,
      measured: {
        baseline: before.code,
        whileFull: phase(full),
        afterFreed: after.code,
        repeatCached: cached,
        recoveryMs: Math.round(performance.now() - freed),
      },
    };
  } finally {
    await server?.close();
    try {
      execFileSync('umount', ['-l', mounted.dir], { stdio: 'pipe' });
    } finally {
      rmSync(mounted.dir, { recursive: true, force: true });
    }
  }
}
