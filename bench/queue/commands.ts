// Redis commands a stretch of queue work sends, read with MONITOR on the rig's private redis-server: commands sent
// by clients (by name) and those run inside Lua scripts, so a change's round trips per run can be counted exactly.
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';

export interface CommandCounts {
  /** Commands sent by clients, by lower-case name (EVALSHA counted once, whatever its script does). */
  readonly client: Map<string, number>;
  /** Commands run inside Lua scripts (the work of BullMQ's and our scripts, no round trip each). */
  readonly lua: number;
  /** How long the count ran. */
  readonly ms: number;
}

export interface CommandCounter {
  /** Stops counting and returns what was seen since start. */
  stop(): Promise<CommandCounts>;
}

/** Starts counting every command `url`'s server runs (MONITOR: use a private server, never a shared one). */
export async function countCommands(url: string): Promise<CommandCounter> {
  const redis = new Redis(url, { lazyConnect: true });
  redis.on('error', () => {});
  const scripts = await scriptNames();
  const monitor = await redis.monitor();
  const client = new Map<string, number>();
  let lua = 0;
  const started = performance.now();
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    let name = (args[0] ?? '').toLowerCase();
    // EVALSHA by script: BullMQ's by name, ours (and any other) by the start of the SHA.
    if (name === 'evalsha') name = `evalsha:${scripts.get(args[1] ?? '') ?? (args[1] ?? '').slice(0, 8)}`;
    if (source === 'lua') lua++;
    else client.set(name, (client.get(name) ?? 0) + 1);
  });
  return {
    async stop() {
      const ms = performance.now() - started;
      monitor.disconnect();
      redis.disconnect();
      return { client, lua, ms };
    },
  };
}

/** Client commands per run, with a background rate (heartbeats, stalled checks: per second) taken out. */
export function perRun(
  counts: CommandCounts,
  runs: number,
  idle?: CommandCounts,
): { total: number; lua: number; byName: [string, number][] } {
  const idleShare = (name: string) => (idle ? ((idle.client.get(name) ?? 0) / idle.ms) * counts.ms : 0);
  const byName = [...counts.client.entries()]
    .map(([name, n]): [string, number] => [name, Math.max(0, n - idleShare(name)) / runs])
    .filter(([, n]) => n >= 0.05)
    .sort((a, b) => b[1] - a[1]);
  const idleLua = idle ? (idle.lua / idle.ms) * counts.ms : 0;
  return {
    total: byName.reduce((sum, [, n]) => sum + n, 0),
    lua: Math.max(0, counts.lua - idleLua) / runs,
    byName,
  };
}

/** `perRun` as one line: `16.3 commands/run (evalsha 5.1, bzpopmin 2.2, …), 81 in Lua`. */
export function formatPerRun(r: ReturnType<typeof perRun>): string {
  const names = r.byName.map(([name, n]) => `${name} ${n.toFixed(1)}`).join(', ');
  return `${r.total.toFixed(1)} client commands/run (${names}); ${r.lua.toFixed(0)} inside Lua scripts`;
}

/** SHA1 of each of BullMQ's Lua scripts → its name (the scripts ship as one module each: {name, content}). */
async function scriptNames(): Promise<Map<string, string>> {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('bullmq')), '..', 'esm', 'scripts');
  const names = new Map<string, string>();
  for (const file of readdirSync(dir).filter((f) => /-\d+\.js$/.test(f))) {
    const module = (await import(pathToFileURL(join(dir, file)).href)) as Record<string, unknown>;
    for (const value of Object.values(module)) {
      const script = value as { name?: unknown; content?: unknown };
      if (typeof script.name === 'string' && typeof script.content === 'string') {
        names.set(createHash('sha1').update(script.content).digest('hex'), script.name);
      }
    }
  }
  return names;
}
