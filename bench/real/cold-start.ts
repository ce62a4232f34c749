// Real critic CLIs against the stub model API: cold start per critic through our server (MCP roast over stdio,
// a fresh CLI process each call) vs the bare CLI run the same way runCritic runs it, with the same stub; and the
// peak resident memory of the critic's process tree. Never asserted. Run: npm run bench:real [-- --runs=N].
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import {
  callTool,
  connectRealServer,
  criticGroups,
  errorOf,
  groupMembers,
  makeRealSandbox,
  processTable,
  type RealCritic,
  realServerEnv,
  requireRealClis,
  runBare,
} from '../../test/support/real-clis.js';
import { StubModelServer } from '../../test/support/stub-model/index.js';
import { summary } from '../stats.js';

const CRITICS: RealCritic[] = ['claude', 'codex', 'gemini'];
const runsArg = process.argv.find((a) => a.startsWith('--runs='));
const RUNS = runsArg ? Number(runsArg.slice(7)) : 5;

/** A process's own peak resident set so far (VmHWM), in bytes; 0 once it is gone. */
function peakRssOf(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/**
 * Samples every process in `groups()` every 10 ms until `work` settles; the peak is the sum over those
 * processes of each one's own high-water mark (an upper bound of the tree's peak, which sampling would miss).
 */
async function peakRss<T>(groups: () => Set<number>, work: Promise<T>): Promise<{ value: T; peak: number }> {
  const hwm = new Map<number, number>();
  let done = false;
  const sampler = (async () => {
    while (!done) {
      for (const p of groupMembers(groups(), processTable())) {
        hwm.set(p.pid, Math.max(hwm.get(p.pid) ?? 0, peakRssOf(p.pid)));
      }
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  let value: T;
  try {
    value = await work;
  } finally {
    done = true;
    await sampler;
  }
  return { value, peak: [...hwm.values()].reduce((sum, bytes) => sum + bytes, 0) };
}

export async function run(): Promise<Record<string, number>> {
  const bins = await requireRealClis();
  const stub = await StubModelServer.start();
  const sandbox = makeRealSandbox('brutalist-bench-real-');
  const server = await connectRealServer(realServerEnv(sandbox, bins, stub), sandbox.project);
  const out: Record<string, number> = {};
  try {
    // Warm the availability probes so the numbers compare runs, not the first `--version`.
    await callTool(server.client, 'cli_agent_roster', {});
    for (const critic of CRITICS) {
      const viaServer: number[] = [];
      const bare: number[] = [];
      let serverPeak = 0;
      let barePeak = 0;
      const model = critic === 'gemini' ? 'gemini-2.5-pro' : undefined;
      // Interleaved, so drift in machine load hits both sides alike.
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        const seen = new Set<number>();
        const through = await peakRss(
          () => {
            for (const g of criticGroups(server.pid)) seen.add(g);
            return seen;
          },
          callTool(server.client, 'roast', {
            domain: 'idea',
            context: `Bench ${critic} ${i} ${Date.now()}`,
            clis: [critic],
            ...(model ? { models: { [critic]: model } } : {}),
          }),
        );
        viaServer.push(performance.now() - t0);
        if (errorOf(through.value)) throw new Error(`${critic}: ${errorOf(through.value)?.code}`);
        serverPeak = Math.max(serverPeak, through.peak);

        const t1 = performance.now();
        const direct = await peakRss(
          () => {
            // runProcess makes the CLI a group leader directly under this process.
            const groups = new Set<number>();
            for (const p of processTable().values())
              if (p.ppid === process.pid && p.pgid === p.pid) groups.add(p.pgid);
            return groups;
          },
          runBare(critic, bins, sandbox, stub.url, {
            prompt: `Bench bare ${critic} ${i}`,
            ...(model ? { model } : {}),
          }),
        );
        bare.push(performance.now() - t1);
        if (direct.value.code !== 'ok') throw new Error(`${critic} bare: ${direct.value.code}`);
        barePeak = Math.max(barePeak, direct.peak);
      }
      const s = summary(viaServer);
      const b = summary(bare);
      out[`${critic}.server.p50Ms`] = s.p50;
      out[`${critic}.bare.p50Ms`] = b.p50;
      out[`${critic}.ratio`] = s.p50 / b.p50;
      out[`${critic}.peakRssMiB.server`] = serverPeak / 2 ** 20;
      out[`${critic}.peakRssMiB.bare`] = barePeak / 2 ** 20;
      console.log(
        `${critic.padEnd(6)} through server p50 ${s.p50.toFixed(0)} ms (p99 ${s.p99.toFixed(0)}) | bare CLI p50 ${b.p50.toFixed(0)} ms (p99 ${b.p99.toFixed(0)}) | ratio ${(s.p50 / b.p50).toFixed(2)}x | peak RSS of the critic tree ${(serverPeak / 2 ** 20).toFixed(0)} MiB (bare ${(barePeak / 2 ** 20).toFixed(0)} MiB)`,
      );
    }
  } finally {
    await server.close();
    await stub.close();
    sandbox.cleanup();
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`real CLIs vs the stub model API, ${RUNS} interleaved runs per critic`);
  await run();
}
