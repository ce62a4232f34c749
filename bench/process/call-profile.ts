// Where the server's CPU goes per call: N sequential `roast` calls against a server started with `--cpu-prof`,
// sandbox off and auto (spawner on, Node-sized fake), then the top self-time functions of each profile.
// Not part of `npm run bench` (a profile is a diagnosis, not a number to track): `npx tsx bench/process/call-profile.ts`.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI_JS, makeSandbox } from '../../test/support/harness.js';
import { ensureNodeClaudeBundle } from '../fixtures/node-claude-bundle.js';
import { benchServerEnv } from '../served.js';
import { cpuOf } from './call-cpu.bench.js';

const CALLS = Number(process.env.BENCH_PROFILE_CALLS ?? 200);
const TOP = Number(process.env.BENCH_PROFILE_TOP ?? 25);
const MODES = (process.env.BENCH_PROFILE_MODES ?? 'off,auto').split(',');
/** Another build's dist/cli.js to profile instead of this one (the A/B against an older build). */
const CLI = process.env.BENCH_PROFILE_CLI ?? CLI_JS;

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/**
 * Self time per function (µs) within [fromUs, toUs]: each sample's delta goes to the node it landed on. V8 stamps
 * samples with the monotonic clock that process.hrtime reads, so the window is this process's timed loop.
 */
function selfTimes(profile: Profile, fromUs: number, toUs: number): Map<string, number> {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const out = new Map<string, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at < fromUs || at > toUs) return;
    const f = byId.get(id)!.callFrame;
    const where = f.url ? `${path.basename(f.url)}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
    out.set(key, (out.get(key) ?? 0) + (profile.timeDeltas[i + 1] ?? 0));
  });
  return out;
}

const nowUs = () => Number(process.hrtime.bigint() / 1000n);

async function profileMode(mode: string, fake: string): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), `brutalist-prof-${mode}-`));
  const sandbox = makeSandbox('brutalist-bench-prof-');
  const env = benchServerEnv(sandbox, fake, { sandbox: mode });
  // Node refuses --cpu-prof in NODE_OPTIONS: the server is started with the flag on its command line.
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--cpu-prof', `--cpu-prof-dir=${dir}`, CLI],
    env,
    cwd: sandbox.project,
    stderr: 'pipe',
  });
  const client = new Client({ name: 'brutalist-profile', version: '1.0.0' });
  await client.connect(transport);
  const s = { client, pid: transport.pid ?? -1, close: () => client.close() };
  let cpu = 0;
  let fromUs = 0;
  let toUs = 0;
  try {
    for (let i = 0; i < 3; i++)
      await s.client.callTool({ name: 'roast', arguments: { domain: 'idea', context: `w ${i}` } });
    const before = cpuOf(s.pid);
    fromUs = nowUs();
    for (let i = 0; i < CALLS; i++) {
      const r = await s.client.callTool({
        name: 'roast',
        arguments: { domain: 'idea', context: `prof ${mode} ${i}` },
      });
      if (r.isError) throw new Error(JSON.stringify(r.content));
    }
    toUs = nowUs();
    const after = cpuOf(s.pid);
    cpu = (after.self - before.self) / CALLS;
  } finally {
    await s.close();
    // The profile is written as the server exits.
    for (let i = 0; i < 100 && readdirSync(dir).length === 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    sandbox.cleanup();
  }
  console.log(
    `\nsandbox ${mode}: server + spawner CPU ${cpu.toFixed(2)} ms/call over ${CALLS} calls; profiles in ${dir}`,
  );
  for (const file of readdirSync(dir)) {
    const profile = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Profile;
    const times = [...selfTimes(profile, fromUs, toUs)].sort((a, b) => b[1] - a[1]);
    const busy = times.filter(([k]) => k !== '(idle)').reduce((sum, [, us]) => sum + us, 0);
    console.log(`  ${file}: busy ${(busy / 1000 / CALLS).toFixed(2)} ms/call (samples not idle)`);
    for (const [key, us] of times.filter(([k]) => k !== '(idle)').slice(0, TOP)) {
      console.log(`    ${(us / 1000 / CALLS).toFixed(3).padStart(7)} ms/call  ${key}`);
    }
  }
}

const fake = ensureNodeClaudeBundle();
for (const mode of MODES) await profileMode(mode, fake);
