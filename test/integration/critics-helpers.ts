// Helpers for the critics integration tests: fake CLI paths, config, temp dirs and the fakes' invocation log.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Config, type ConfigInput, resolveConfig } from '../../src/config/index.js';

export const FAKE_BIN_DIR = fileURLToPath(new URL('../fixtures/bin/', import.meta.url));
export const fakeBin = (name: string) => join(FAKE_BIN_DIR, name);

export interface LoggedInvocation {
  argv: string[];
  env: Record<string, string>;
  stdin: string;
  cwd: string;
  cwdEntries: string[] | null;
  cwdMode: number | null;
  probeRead?: string;
  pid: number;
  ppid: number;
}

/** A temp dir holding a log file, a HOME and a target dir; `cleanup` removes it all. */
export function makeSandbox(): {
  dir: string;
  log: string;
  home: string;
  target: string;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'brutalist-critics-'));
  const home = join(dir, 'home');
  const target = join(dir, 'target');
  mkdirSync(home);
  mkdirSync(target);
  return {
    dir,
    log: join(dir, 'calls.jsonl'),
    home,
    target,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function readLog(path: string): LoggedInvocation[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as LoggedInvocation);
}

/**
 * Config pointing every critic at its fake, passing the FAKE_CLI_* knobs through. Unconfined unless a test asks
 * for the sandbox: the fakes' logs and pid files must land on the host, and pids must be host pids.
 */
export function fakeConfig(overrides: ConfigInput = {}): Config {
  return resolveConfig({
    overrides: {
      claudeBin: fakeBin('claude'),
      codexBin: fakeBin('codex'),
      geminiBin: fakeBin('gemini'),
      extraEnv: ['FAKE_CLI_*'],
      sandbox: 'off',
      ...overrides,
    },
  });
}

/** Polls (real time) until `predicate` holds; used only to wait for a child to have started. */
export async function waitFor(predicate: () => boolean, limitMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > limitMs) throw new Error('waitFor: condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Whether a pid is a running (non-zombie) process. */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}
