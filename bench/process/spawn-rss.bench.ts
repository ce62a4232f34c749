// How long spawn() blocks the event loop as the spawning process's resident heap grows: libuv forks the whole
// process on Linux, so the page tables copied per spawn scale with RSS. Measures /bin/true spawns at 3 heap sizes
// in this process; the server's idle RSS is ~90 MB. Numbers for deciding on a small long-lived spawner process.
import { spawn } from 'node:child_process';
import { fmt, summary } from '../stats.js';

const SPAWNS = Number(process.env.BENCH_SPAWNS ?? 30);
const HEAPS_MB = [0, 100, 300];

export async function run(): Promise<Record<string, number>> {
  const hold: unknown[] = [];
  const out: Record<string, number> = {};
  console.log(`spawn() blocking time vs resident heap: ${SPAWNS} spawns of /bin/true per size`);
  let grown = 0;
  for (const mb of HEAPS_MB) {
    // Touched buffers (resident) plus small objects (a V8 heap with many pages), like a long-running server.
    for (; grown < mb; grown++) {
      hold.push(Buffer.alloc(1 << 20, 1));
      hold.push(Array.from({ length: 2_000 }, (_, i) => ({ i, s: `x${i}` })));
    }
    const samples: number[] = [];
    for (let i = 0; i < SPAWNS; i++) {
      const started = process.hrtime.bigint();
      const child = spawn('/bin/true', [], { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
      samples.push(Number(process.hrtime.bigint() - started) / 1e6);
      await new Promise((resolve) => child.on('close', resolve));
    }
    const rssMb = process.memoryUsage().rss / 2 ** 20;
    const s = summary(samples);
    console.log(
      `  +${String(mb).padStart(3)} MB (rss ${rssMb.toFixed(0)} MB)  spawn() p50 ${fmt(s.p50)}  p99 ${fmt(s.p99)}`,
    );
    out[`spawnP50At${mb}Mb`] = s.p50;
  }
  hold.length = 0;
  return out;
}

if (import.meta.filename === process.argv[1]) await run();
