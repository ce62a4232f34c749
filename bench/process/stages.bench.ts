// Where a served critic call spends its time: the app in this process (real SDK client, in-memory transport, the
// default SQLite store), the Node-sized fake, sandbox off and auto interleaved. Marks from the runner's
// diagnostics events: call → spawn (validation, admission, state, cache, workdir, spawn()), spawn → exit (the child
// runs; result ready once its pipes closed and its group is gone), exit → response (parse, store write, reply).
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { join } from 'node:path';
import { PROCESS_EXIT_CHANNEL, PROCESS_SPAWN_CHANNEL } from '../../src/process/index.js';
import { connectInProcess, makeSandbox } from '../../test/support/harness.js';
import { ensureNodeClaudeBundle } from '../fixtures/node-claude-bundle.js';
import { fmt, summary } from '../stats.js';

const CALLS = Number(process.env.BENCH_NODE_CALLS ?? 60);
const STAGES = ['toSpawn', 'child', 'toResponse', 'total'] as const;
type Stage = (typeof STAGES)[number];

export async function run(): Promise<Record<string, number>> {
  const fake = ensureNodeClaudeBundle();
  const box = makeSandbox('brutalist-bench-stages-');
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: box.home };
  let spawnAt = 0n;
  let exitAt = 0n;
  const onSpawn = () => {
    spawnAt = process.hrtime.bigint();
  };
  const onExit = () => {
    exitAt = process.hrtime.bigint();
  };
  subscribe(PROCESS_SPAWN_CHANNEL, onSpawn);
  subscribe(PROCESS_EXIT_CHANNEL, onExit);
  const modes = ['off', 'auto'] as const;
  const apps = await Promise.all(
    modes.map((sandbox) =>
      connectInProcess(
        {
          claudeBin: fake,
          criticPreference: ['claude'],
          roots: [box.project],
          sandbox,
          cacheTtlMs: 0,
          stateStore: 'sqlite',
          stateDir: join(box.dir, `state-${sandbox}`),
        },
        { env },
      ),
    ),
  );
  const samples = modes.map(
    () => Object.fromEntries(STAGES.map((s) => [s, [] as number[]])) as Record<Stage, number[]>,
  );
  const ms = (a: bigint, b: bigint) => Number(b - a) / 1e6;
  try {
    for (let i = -5; i < CALLS; i++) {
      for (const [m, { client }] of apps.entries()) {
        const started = process.hrtime.bigint();
        const result = await client.callTool({
          name: 'roast',
          arguments: { domain: 'idea', context: `Critique idea ${i} ${modes[m]}` },
        });
        const done = process.hrtime.bigint();
        if (result.isError) throw new Error(`roast failed: ${JSON.stringify(result.content)}`);
        if (i < 0) continue; // warm-up
        const s = samples[m]!;
        s.toSpawn.push(ms(started, spawnAt));
        s.child.push(ms(spawnAt, exitAt));
        s.toResponse.push(ms(exitAt, done));
        s.total.push(ms(started, done));
      }
    }
  } finally {
    unsubscribe(PROCESS_SPAWN_CHANNEL, onSpawn);
    unsubscribe(PROCESS_EXIT_CHANNEL, onExit);
    for (const a of apps) await a.close();
    box.cleanup();
  }
  console.log(
    `stages of a served roast call (Node-sized fake, in-process app, ${CALLS} calls per mode, interleaved)`,
  );
  const out: Record<string, number> = {};
  for (const [m, mode] of modes.entries()) {
    const parts = STAGES.map((stage) => {
      const st = summary(samples[m]![stage]);
      out[`${mode}${stage[0]!.toUpperCase()}${stage.slice(1)}P50`] = st.p50;
      return `${stage} p50 ${fmt(st.p50)} p99 ${fmt(st.p99)}`;
    });
    console.log(`  sandbox ${mode.padEnd(4)} ${parts.join('  ')}`);
  }
  return out;
}

if (import.meta.filename === process.argv[1]) await run();
