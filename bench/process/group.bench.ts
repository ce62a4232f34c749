// The /proc scan behind groupHasLiveMembers: a scan that reads each /proc/PID/stat as a fresh string (the
// earlier code, kept here as the baseline) against the shipped one that reads into one reused buffer.
// Interleaved in one process; prints p50/p99 per scan and the ratio.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { groupHasLiveMembers } from '../../src/process/group.js';
import { fmt, summary } from '../stats.js';

const SCANS = Number(process.env.BENCH_SCANS ?? 200);

/** The string-per-entry scan this replaced; looks for members of `pgid`, returns whether one is live. */
function stringScan(pgid: number): boolean {
  let saw = false;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue;
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) !== pgid) continue;
    saw = true;
    if (fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return !saw;
}

function time(fn: () => void): number {
  const started = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

export async function run(): Promise<Record<string, number>> {
  if (process.platform !== 'linux') {
    console.log('group scan: /proc only on Linux, skipped');
    return {};
  }
  // A fresh group whose one member has the newest PID: /proc lists PIDs in order, so both scans read about
  // every entry before they find it.
  const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
  const pgid = child.pid;
  if (pgid === undefined) throw new Error('could not spawn sleep');
  const before: number[] = [];
  const after: number[] = [];
  for (let i = 0; i < SCANS; i++) {
    before.push(time(() => stringScan(pgid)));
    after.push(time(() => groupHasLiveMembers(pgid)));
  }
  child.kill('SIGKILL');
  const b = summary(before);
  const a = summary(after);
  const entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e)).length;
  console.log(`group scan: ${SCANS} full /proc scans (${entries} processes), interleaved`);
  console.log(`  string per entry  p50 ${fmt(b.p50)}  p99 ${fmt(b.p99)}`);
  console.log(`  reused buffer     p50 ${fmt(a.p50)}  p99 ${fmt(a.p99)}`);
  console.log(`  ratio             p50 ${(a.p50 / b.p50).toFixed(3)}x  p99 ${(a.p99 / b.p99).toFixed(3)}x`);
  return { stringScanP50: b.p50, bufferScanP50: a.p50, stringScanP99: b.p99, bufferScanP99: a.p99 };
}

if (import.meta.filename === process.argv[1]) await run();
