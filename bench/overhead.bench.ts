// Server overhead: N sequential `roast` calls through the built MCP server over stdio, interleaved with N bare spawns
// of the same fake critic (same argv, stdin, env), for an instant /bin/sh fake and a Node-sized fake. The sandbox cost
// is measured apart: bare spawns inside bwrap with the argv the runner builds, against a server with the default
// `sandbox: auto`; each server also with `spawner: off` (it forks critics itself). BENCH_BASELINE_CLI=<other build's dist/cli.js> adds that build's servers to the same interleaving.
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { configPathsFor } from '../src/critics/adapters.js';
import { claudeAdapter } from '../src/critics/index.js';
import { bwrapArgs, installFor, pinWorkdir } from '../src/process/index.js';
import { CLI_JS, makeSandbox } from '../test/support/harness.js';
import { ensureNodeClaudeBundle } from './fixtures/node-claude-bundle.js';
import { benchServerEnv, NO_SHEDDING } from './served.js';
import { fmt, summary } from './stats.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 200);
/** The Node-sized fake is ~10× slower to start; fewer calls keep the bench short. */
const NODE_CALLS = Number(process.env.BENCH_NODE_CALLS ?? 60);
const INSTANT_CLAUDE = join(import.meta.dirname, 'fixtures', 'instant-claude');
const BASELINE_CLI = process.env.BENCH_BASELINE_CLI;
const BWRAP = process.env.BENCH_BWRAP ?? '/usr/bin/bwrap';
// Exactly the argv the server passes, so both sides spawn the same command line.
const CLAUDE_ARGS = claudeAdapter.buildInvocation({ prompt: '' }, undefined).args;

type Spawned = { child: ChildProcess; started: bigint };

function timed(start: () => Spawned, prompt: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const { child, started } = start();
    (child.stdio[4] as NodeJS.ReadableStream | null | undefined)?.resume();
    child.stdout?.resume();
    child.stderr?.resume();
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`bare spawn exited ${code}`));
      else resolve(Number(process.hrtime.bigint() - started) / 1e6);
    });
    child.stdin?.end(prompt);
  });
}

function bareSpawn(fake: string, prompt: string, env: Record<string, string>, cwd: string): Promise<number> {
  return timed(() => {
    const started = process.hrtime.bigint();
    const child = spawn(fake, CLAUDE_ARGS, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    return { child, started };
  }, prompt);
}

/** A bare spawn inside bwrap with the argv runProcess builds: the plan runCritic makes, the cwd bound by descriptor. */
function bwrapSpawn(fake: string, prompt: string, env: Record<string, string>, cwd: string): Promise<number> {
  return timed(() => {
    const started = process.hrtime.bigint();
    const install = installFor(fake, env.PATH);
    const paths = configPathsFor('claude', env);
    const plan = { bwrap: BWRAP, readOnly: [...install.dirs, ...paths.readOnly], writable: paths.writable };
    const pinned = pinWorkdir(cwd, cwd);
    if (typeof pinned === 'string' || pinned.fd === undefined)
      throw new Error(`cannot pin ${cwd}: ${pinned}`);
    try {
      const args = bwrapArgs(plan, pinned.path, 3, install.exec, CLAUDE_ARGS, 4);
      const child = spawn(BWRAP, args, {
        cwd: pinned.spawnCwd,
        env,
        stdio: ['pipe', 'pipe', 'pipe', pinned.fd, 'pipe'],
        detached: true,
      });
      return { child, started };
    } finally {
      pinned.close();
    }
  }, prompt);
}

async function connect(cli: string, env: Record<string, string>, cwd: string) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cli],
    env,
    cwd,
    stderr: 'pipe',
  });
  const client = new Client({ name: 'brutalist-bench', version: '1.0.0' });
  await client.connect(transport);
  return client;
}

async function roast(client: Client, context: string): Promise<number> {
  const started = process.hrtime.bigint();
  const result = await client.callTool({ name: 'roast', arguments: { domain: 'idea', context } });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.isError) throw new Error(`roast failed: ${JSON.stringify(result.content)}`);
  return ms;
}

export async function run(): Promise<Record<string, number>> {
  const instant = await measure('instant /bin/sh fake', INSTANT_CLAUDE, CALLS);
  const node = await measure('Node-sized fake', ensureNodeClaudeBundle(), NODE_CALLS);
  return { ...prefixed('instant', instant), ...prefixed('node', node) };
}

function prefixed(prefix: string, values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(values).map(([k, v]) => [`${prefix}${k[0]!.toUpperCase()}${k.slice(1)}`, v]),
  );
}

interface Series {
  readonly name: string;
  /** The series this one is compared with (overhead = this − base). */
  readonly base?: string;
  readonly once: (i: number) => Promise<number>;
  readonly samples: number[];
}

async function measure(label: string, fake: string, calls: number): Promise<Record<string, number>> {
  const sandbox = makeSandbox('brutalist-bench-');
  const env = (sandboxMode: string, spawner: string) =>
    benchServerEnv(
      sandbox,
      fake,
      { sandbox: sandboxMode, spawner },
      // BENCH_STATE_STORE=memory|sqlite|redis compares stores; the default is the server's own default (sqlite).
      {
        ...NO_SHEDDING,
        ...(process.env.BENCH_STATE_STORE ? { BRUTALIST_STATE_STORE: process.env.BENCH_STATE_STORE } : {}),
      },
    );
  const clients: Client[] = [];
  try {
    const childEnv = { PATH: process.env.PATH!, HOME: sandbox.home, TERM: 'dumb', NO_COLOR: '1' };
    const cwd = sandbox.project;
    const served = async (cli: string, mode: string, spawner = 'auto') => {
      const client = await connect(cli, env(mode, spawner), cwd);
      clients.push(client);
      return (i: number) => roast(client, `Critique idea ${i} (${mode}, spawner ${spawner})`);
    };
    const series: Series[] = [
      { name: 'bare spawn', once: (i) => bareSpawn(fake, `Critique idea ${i}`, childEnv, cwd), samples: [] },
      {
        name: 'bare in bwrap',
        once: (i) => bwrapSpawn(fake, `Critique idea ${i}`, childEnv, cwd),
        samples: [],
      },
      { name: 'served, sandbox off', base: 'bare spawn', once: await served(CLI_JS, 'off'), samples: [] },
      {
        name: 'served, sandbox auto',
        base: 'bare in bwrap',
        once: await served(CLI_JS, 'auto'),
        samples: [],
      },
      // The server forking critics itself (spawner off): what the spawner process saves, in the same run.
      {
        name: 'served, off, spawner off',
        base: 'bare spawn',
        once: await served(CLI_JS, 'off', 'off'),
        samples: [],
      },
      {
        name: 'served, auto, spawner off',
        base: 'bare in bwrap',
        once: await served(CLI_JS, 'auto', 'off'),
        samples: [],
      },
    ];
    if (BASELINE_CLI) {
      series.push(
        {
          name: 'baseline, sandbox off',
          base: 'bare spawn',
          once: await served(BASELINE_CLI, 'off'),
          samples: [],
        },
        {
          name: 'baseline, sandbox auto',
          base: 'bare in bwrap',
          once: await served(BASELINE_CLI, 'auto'),
          samples: [],
        },
      );
    }
    // Warm up every path (availability probe, JIT, page cache).
    for (let i = 0; i < 5; i++) for (const s of series) await s.once(-1 - i);
    // Interleave so machine noise hits every series alike.
    for (let i = 0; i < calls; i++) for (const s of series) s.samples.push(await s.once(i));
    console.log(`overhead (${label}): ${calls} sequential roast calls over stdio per series, interleaved`);
    const out: Record<string, number> = {};
    const stats = new Map(series.map((s) => [s.name, summary(s.samples)]));
    for (const s of series) {
      const st = stats.get(s.name)!;
      const b = s.base ? stats.get(s.base) : undefined;
      const vs = b
        ? `  overhead p50 ${fmt(st.p50 - b.p50)} p99 ${fmt(st.p99 - b.p99)}  ratio p50 ${(st.p50 / b.p50).toFixed(3)}x`
        : '';
      console.log(`  ${s.name.padEnd(26)} p50 ${fmt(st.p50)}  p95 ${fmt(st.p95)}  p99 ${fmt(st.p99)}${vs}`);
      const key = s.name.replace(/[^a-z]+(.)/g, (_, c: string) => c.toUpperCase());
      out[`${key}P50`] = st.p50;
      out[`${key}P99`] = st.p99;
      if (b) {
        out[`${key}OverheadP50`] = st.p50 - b.p50;
        out[`${key}OverheadP99`] = st.p99 - b.p99;
      }
    }
    console.log('  targets: served overhead p50 <= 3 ms, p99 <= 10 ms against the matching bare series');
    return out;
  } finally {
    for (const c of clients) await c.close();
    sandbox.cleanup();
  }
}

if (import.meta.filename === process.argv[1]) await run();
