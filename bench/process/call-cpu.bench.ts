// CPU time per critic call, which a loaded 2-core machine does not distort the way it distorts wall time: the
// server's own CPU (user+sys, its spawner process included) and its reaped children's (the critic, bwrap and its init) over N sequential `roast`
// calls with the Node-sized fake, next to the same fake spawned bare by this process, interleaved in rounds.
// The server's own CPU per call is what 20 callers take away from the critics on a saturated machine.
// BENCH_BASELINE_CLI=<other build's dist/cli.js> adds that build's servers (sandbox off and auto) to the same rounds.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { claudeAdapter } from '../../src/critics/index.js';
import { connectStdio, makeSandbox, type Sandbox } from '../../test/support/harness.js';
import { ensureNodeClaudeBundle } from '../fixtures/node-claude-bundle.js';
import { benchServerEnv, NO_SHEDDING } from '../served.js';

const CALLS = Number(process.env.BENCH_CPU_CALLS ?? 40);
const ROUNDS = 4;
const ARGS = claudeAdapter.buildInvocation({ prompt: '' }, undefined).args;
/** USER_HZ: /proc stat times are in clock ticks of 10 ms on Linux. */
const TICK_MS = 10;
const BASELINE_CLI = process.env.BENCH_BASELINE_CLI;

/** utime+stime (self) and cutime+cstime (reaped children) of `pid`, in ms. */
export function cpuOf(pid: number | 'self'): { self: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After ")": state(0) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(11) stime cutime cstime
  const n = (i: number) => Number(f[i]) * TICK_MS;
  const own = { self: n(11) + n(12), children: n(13) + n(14) };
  // A live spawner child (a `node -` started by the server) is part of the server's cost: add its CPU and that of
  // the critics it reaped.
  if (pid === 'self') return own;
  for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1')
    .split(' ')
    .filter(Boolean)) {
    try {
      if (!readFileSync(`/proc/${child}/cmdline`, 'latin1').endsWith('\0-\0')) continue;
      const spawner = cpuOf(Number(child));
      own.self += spawner.self;
      own.children += spawner.children;
    } catch {
      // exited in between
    }
  }
  return own;
}

interface Side {
  readonly name: string;
  readonly pid: number | 'self';
  readonly once: (i: number) => Promise<void>;
  self: number;
  children: number;
  calls: number;
}

function bare(fake: string, cwd: string, home: string, i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const env = { PATH: process.env.PATH ?? '', HOME: home, TERM: 'dumb', NO_COLOR: '1' };
    const child = spawn(fake, ARGS, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    child.stdout.resume();
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', () => resolve());
    child.stdin.end(`cpu idea ${i}`);
  });
}

async function server(fake: string, sandbox: Sandbox, mode: string, spawner: string, cli?: string) {
  return connectStdio(
    benchServerEnv(sandbox, fake, { sandbox: mode, spawner }, NO_SHEDDING),
    sandbox.project,
    cli,
  );
}

async function roast(client: Client, context: string): Promise<void> {
  const r = await client.callTool({ name: 'roast', arguments: { domain: 'idea', context } });
  if (r.isError) throw new Error(`roast failed: ${JSON.stringify(r.content)}`);
}

/** Each served side: its label, sandbox mode, spawner mode, and build (undefined: this one). */
const SERVED: ReadonlyArray<readonly [string, string, string, string | undefined]> = [
  ['served, sandbox off', 'off', 'auto', undefined],
  ['served, sandbox auto', 'auto', 'auto', undefined],
  ['served, off, spawner off', 'off', 'off', undefined],
  ['served, auto, spawner off', 'auto', 'off', undefined],
  ...(BASELINE_CLI
    ? ([
        ['baseline, sandbox off', 'off', 'auto', BASELINE_CLI],
        ['baseline, sandbox auto', 'auto', 'auto', BASELINE_CLI],
      ] as const)
    : []),
];

export async function run(): Promise<Record<string, number>> {
  const fake = ensureNodeClaudeBundle();
  const sandbox = makeSandbox('brutalist-bench-cpu-');
  const servers: Array<Awaited<ReturnType<typeof server>>> = [];
  try {
    const plain: Array<Pick<Side, 'name' | 'pid' | 'once'>> = [
      {
        name: 'bare spawn (this process)',
        pid: 'self',
        once: (i) => bare(fake, sandbox.project, sandbox.home, i),
      },
    ];
    for (const [name, mode, spawner, cli] of SERVED) {
      const s = await server(fake, sandbox, mode, spawner, cli);
      servers.push(s);
      plain.push({ name, pid: s.pid, once: (i) => roast(s.client, `cpu ${name} ${i}`) });
    }
    const sides: Side[] = plain.map((s) => ({ ...s, self: 0, children: 0, calls: 0 }));
    for (const s of sides) for (let i = 0; i < 3; i++) await s.once(-1 - i);
    const per = Math.max(1, Math.round(CALLS / ROUNDS));
    for (let round = 0; round < ROUNDS; round++) {
      for (const s of sides) {
        const before = cpuOf(s.pid);
        for (let i = 0; i < per; i++) await s.once(round * per + i);
        const after = cpuOf(s.pid);
        s.self += after.self - before.self;
        s.children += after.children - before.children;
        s.calls += per;
      }
    }
    console.log(
      `call CPU (Node-sized fake): ${ROUNDS}×${per} sequential calls per side, interleaved by round`,
    );
    const out: Record<string, number> = {};
    for (const s of sides) {
      const self = s.self / s.calls;
      const children = s.children / s.calls;
      console.log(
        `  ${s.name.padEnd(27)} own CPU ${self.toFixed(2)} ms/call  children ${children.toFixed(2)} ms/call`,
      );
      const key = s.name.replace(/[^a-z]+(.)/g, (_, c: string) => c.toUpperCase()).replace(/\W/g, '');
      out[`${key}OwnMs`] = self;
      out[`${key}ChildrenMs`] = children;
    }
    return out;
  } finally {
    for (const s of servers) await s.close();
    sandbox.cleanup();
  }
}

if (import.meta.filename === process.argv[1]) await run();
