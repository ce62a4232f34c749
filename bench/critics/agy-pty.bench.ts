// What agy's pseudo-terminal costs per run: the same tiny native command spawned by runProcess directly (baseline)
// and under assets/agy/pty-run.py, interleaved in one process. Prints p50/p95 of both and the difference; plus the
// terminal-text parser's throughput on a spinner-heavy 1 MB answer against a plain UTF-8 decode of the same bytes.

import { AGY_PTY_WRAPPER_PATH } from '../../src/critics/agy.js';
import { AgyTerminalText } from '../../src/critics/agy-output.js';
import { buildChildEnv, resolveExecutable, runProcess } from '../../src/process/index.js';
import { makeSandbox } from '../../test/support/harness.js';
import { fmt, summary } from '../stats.js';

const CALLS = Number(process.env.BENCH_CALLS ?? 30);

async function timed(command: string, args: readonly string[], cwd: string): Promise<number> {
  const started = process.hrtime.bigint();
  const result = await runProcess({
    command,
    args,
    cwd,
    env: buildChildEnv({ PATH: process.env.PATH ?? '', HOME: cwd }),
    timeoutMs: 60_000,
    stallTimeoutMs: 60_000,
    killGraceMs: 1_000,
    maxOutputBytes: 1024 * 1024,
    maxStderrBytes: 4096,
  });
  if (result.exit.kind !== 'ok' || result.stdoutBytes === 0)
    throw new Error(`run failed: ${result.exit.kind}`);
  return Number(process.hrtime.bigint() - started) / 1e6;
}

function parseThroughput(): Record<string, number> {
  const ESC = '\u001b';
  const unit = `\r${ESC}[2K${ESC}[36m⠋${ESC}[0m Thinking…\r${ESC}[2K${ESC}[1mA line of the critique, in bold.${ESC}[0m\r\n`;
  const bytes = Buffer.from(unit.repeat(Math.ceil((1024 * 1024) / Buffer.byteLength(unit))), 'utf8');
  const chunk = 16 * 1024;
  const rounds = 10;
  let started = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) {
    const parser = new AgyTerminalText({ maxAnswerBytes: 8 * 1024 * 1024 });
    for (let i = 0; i < bytes.length; i += chunk) parser.push(bytes.subarray(i, i + chunk));
    parser.finish();
  }
  const parseMs = Number(process.hrtime.bigint() - started) / 1e6 / rounds;
  started = process.hrtime.bigint();
  for (let r = 0; r < rounds; r++) {
    const parts: string[] = [];
    const decoder = new TextDecoder();
    for (let i = 0; i < bytes.length; i += chunk)
      parts.push(decoder.decode(bytes.subarray(i, i + chunk), { stream: true }));
    parts.join('');
  }
  const decodeMs = Number(process.hrtime.bigint() - started) / 1e6 / rounds;
  console.log(
    `terminal text parse of ${(bytes.length / 1e6).toFixed(1)} MB: ${fmt(parseMs)} (plain decode ${fmt(decodeMs)}, ratio ${(parseMs / decodeMs).toFixed(1)}x)`,
  );
  return { parseMs, decodeMs };
}

export async function run(): Promise<Record<string, number>> {
  const sandbox = makeSandbox('brutalist-bench-agy-');
  try {
    const echo = await resolveExecutable('echo', process.env.PATH);
    const python = await resolveExecutable('python3', '/usr/bin:/bin');
    if (!echo || !python) throw new Error('echo and /usr/bin/python3 are needed');
    const wrapped = ['-I', AGY_PTY_WRAPPER_PATH, '500', echo, 'critique'];
    for (let i = 0; i < 3; i++) {
      await timed(echo, ['critique'], sandbox.project);
      await timed(python, wrapped, sandbox.project);
    }
    const direct: number[] = [];
    const viaPty: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      direct.push(await timed(echo, ['critique'], sandbox.project));
      viaPty.push(await timed(python, wrapped, sandbox.project));
    }
    const d = summary(direct);
    const p = summary(viaPty);
    console.log(`direct (baseline)  p50 ${fmt(d.p50)}  p95 ${fmt(d.p95)}  (${CALLS} runs)`);
    console.log(
      `under pty-run.py   p50 ${fmt(p.p50)}  p95 ${fmt(p.p95)}  (+${fmt(p.p50 - d.p50)} at p50, ${(p.p50 / d.p50).toFixed(1)}x)`,
    );
    return { directP50: d.p50, ptyP50: p.p50, ...parseThroughput() };
  } finally {
    sandbox.cleanup();
  }
}

if (process.argv[1] && import.meta.filename === process.argv[1]) await run();
