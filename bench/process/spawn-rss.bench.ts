// What a spawn costs the spawning process as its resident heap grows, forked here (direct) or by the spawner process
// (the default on Linux): libuv forks the whole process, so the page tables copied per spawn scale with RSS, and
// spawn() blocks the event loop until the child has exec'd. Per heap size, runs of /bin/true through runProcess,
// direct and spawner interleaved: how long runProcess() blocked the caller (the event loop), this process's CPU per
// run, and the wall time of the run. The server's idle RSS is ~100 MB.
import { readFileSync } from 'node:fs';
import { directLaunch, type RunSpec, runProcess, spawnerPid, stopSpawner } from '../../src/process/index.js';
import { fmt, summary } from '../stats.js';

const SPAWNS = Number(process.env.BENCH_SPAWNS ?? 30);
const HEAPS_MB = [0, 100, 300];
/** USER_HZ: /proc stat times are in clock ticks of 10 ms on Linux. */
const TICK_MS = 10;

const SPEC: RunSpec = {
  command: '/bin/true',
  args: [],
  cwd: '/',
  env: {},
  timeoutMs: 10_000,
  stallTimeoutMs: 10_000,
  killGraceMs: 1_000,
  maxOutputBytes: 1024,
  maxStderrBytes: 1024,
};

interface Side {
  readonly block: number[];
  readonly wall: number[];
  cpuMs: number;
}

/** utime+stime of a process, ms (0 when it is gone). */
function cpuOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

async function once(side: Side, spec: RunSpec): Promise<void> {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  const run = runProcess(spec);
  side.block.push(Number(process.hrtime.bigint() - started) / 1e6);
  const r = await run;
  side.wall.push(Number(process.hrtime.bigint() - started) / 1e6);
  const used = process.cpuUsage(cpu);
  side.cpuMs += (used.user + used.system) / 1000;
  if (r.exit.kind !== 'ok') throw new Error(`/bin/true ended ${JSON.stringify(r.exit)}`);
}

export async function run(): Promise<Record<string, number>> {
  const hold: unknown[] = [];
  const out: Record<string, number> = {};
  console.log(`spawn cost vs resident heap: ${SPAWNS} runs of /bin/true per side and size, interleaved`);
  let grown = 0;
  for (const mb of HEAPS_MB) {
    // Touched buffers (resident) plus small objects (a V8 heap with many pages), like a long-running server.
    for (; grown < mb; grown++) {
      hold.push(Buffer.alloc(1 << 20, 1));
      hold.push(Array.from({ length: 2_000 }, (_, i) => ({ i, s: `x${i}` })));
    }
    const direct: Side = { block: [], wall: [], cpuMs: 0 };
    const spawner: Side = { block: [], wall: [], cpuMs: 0 };
    await once(spawner, SPEC); // starts the spawner
    const spawnerCpuBefore = cpuOf(spawnerPid());
    for (let i = 0; i < SPAWNS; i++) {
      await once(direct, { ...SPEC, launch: directLaunch });
      await once(spawner, SPEC);
    }
    const spawnerCpu = (cpuOf(spawnerPid()) - spawnerCpuBefore) / SPAWNS;
    const rssMb = process.memoryUsage().rss / 2 ** 20;
    console.log(`  +${String(mb).padStart(3)} MB (rss ${rssMb.toFixed(0)} MB)`);
    for (const [name, s, extra] of [
      ['direct ', direct, ''],
      ['spawner', spawner, `  + spawner's own CPU ${fmt(spawnerCpu)}/run`],
    ] as const) {
      const block = summary(s.block);
      const wall = summary(s.wall);
      const cpu = s.cpuMs / s.wall.length;
      console.log(
        `    ${name}  loop blocked p50 ${fmt(block.p50)} p99 ${fmt(block.p99)}  run p50 ${fmt(wall.p50)}  this process CPU ${fmt(cpu)}/run${extra}`,
      );
    }
    out[`directBlockP50At${mb}Mb`] = summary(direct.block).p50;
    out[`spawnerBlockP50At${mb}Mb`] = summary(spawner.block).p50;
    out[`directCpuAt${mb}Mb`] = direct.cpuMs / SPAWNS;
    out[`spawnerCpuAt${mb}Mb`] = spawner.cpuMs / (SPAWNS + 1) + spawnerCpu;
  }
  hold.length = 0;
  stopSpawner();
  return out;
}

if (import.meta.filename === process.argv[1]) await run();
