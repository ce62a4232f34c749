// Chaos: a critic that turns into a fork bomb. Bounded by RLIMIT_NPROC under an unused uid (the limit does not bind
// root, so the bomb drops to that uid first: bench/fixtures/forkbomb-claude); skipped with the reason when this
// script cannot switch uid (not root). The server must end the critic's whole process group on its timeout.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLive, parseProcStat } from '../../src/process/group.js';
import {
  type CaseResult,
  CLI_TIMEOUT_MS,
  KILL_GRACE_MS,
  roast,
  SLACK_MS,
  skipped,
  start,
  verdict,
} from './chaos-support.js';

const BOMB = join(import.meta.dirname, '..', 'fixtures', 'forkbomb-claude');
/** An unused uid: every process it owns is the bomb's. */
const BOMB_UID = 64_977;
const BOMB_NPROC = Number(process.env.CHAOS_BOMB_NPROC ?? 64);

/**
 * Processes of real uid `uid` that can still run code, by the server's own test (src/process/group.ts isLive):
 * zombies and tasks already inside exit() left out.
 */
function processesOf(uid: number): number {
  let n = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (!new RegExp(`^Uid:\\s+${uid}\\s`, 'm').test(readFileSync(`/proc/${entry}/status`, 'utf8')))
        continue;
      const stat = readFileSync(`/proc/${entry}/stat`);
      const parsed = parseProcStat(stat, stat.length);
      if (parsed && isLive(parsed)) n++;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}

export async function forkBomb(): Promise<CaseResult> {
  const name = 'critic fork bomb (RLIMIT_NPROC under another uid)';
  // Twice the usual slack: the bomb's processes take their share of the same CPU while the server stops them.
  const limitMs = CLI_TIMEOUT_MS + KILL_GRACE_MS + 2 * SLACK_MS;
  const criterion = `CLI_TIMEOUT within ${limitMs} ms, every process of the bomb gone within 5 s after the answer, the server answers the next call (another critic)`;
  if (process.getuid?.() !== 0)
    return skipped(name, criterion, 'not root: cannot run the bomb as another uid');
  if (processesOf(BOMB_UID) !== 0) return skipped(name, criterion, `uid ${BOMB_UID} already owns processes`);
  const server = await start({
    BRUTALIST_CLAUDE_BIN: BOMB,
    FAKE_CLI_BOMB_UID: String(BOMB_UID),
    FAKE_CLI_BOMB_NPROC: String(BOMB_NPROC),
  });
  try {
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, processesOf(BOMB_UID));
    }, 200);
    const bomb = await roast(server, '', 'fork bomb', { clis: ['claude'] });
    clearInterval(sampler);
    const reapStarted = performance.now();
    while (processesOf(BOMB_UID) > 0 && performance.now() - reapStarted < 5_000) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const left = processesOf(BOMB_UID);
    const next = await roast(server, '', 'after the bomb', { clis: ['codex'] });
    const checks = bomb.code === 'CLI_TIMEOUT' && bomb.ms < limitMs && left === 0 && next.code === 'ok';
    return verdict(server, name, criterion, checks, {
      code: bomb.code,
      answerMs: Math.round(bomb.ms),
      peakProcesses: peak,
      nproc: BOMB_NPROC,
      left,
      reapMs: Math.round(performance.now() - reapStarted),
      nextCall: next.code,
    });
  } finally {
    await server.close();
  }
}
