// Test harness: a temp project, fake critic CLIs wired through config or env, their invocation log, and the server
// (built, over stdio; or in process).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { type Config, type ConfigInput, resolveConfig } from '../../src/engine/config.js';
import { type BrutalistError, isBrutalistError } from '../../src/errors/index.js';
import { type App, createApp } from '../../src/transport/index.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const FAKE_BIN = join(REPO, 'test/fixtures/bin');
export const fakeBin = (name: string) => join(FAKE_BIN, name);
export const CLI_JS = join(REPO, 'dist/cli.js');

export interface Sandbox {
  readonly dir: string;
  readonly project: string;
  /** An empty folder: a critic run there must see nothing. */
  readonly target: string;
  readonly home: string;
  readonly log: string;
  cleanup(): void;
}

/** A temp dir with a small project (src + git-ish layout), an empty target, a HOME, and a fake-CLI log file path. */
export function makeSandbox(prefix = 'brutalist-e2e-'): Sandbox {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const project = join(dir, 'project');
  const target = join(dir, 'target');
  const home = join(dir, 'home');
  mkdirSync(join(project, 'src'), { recursive: true });
  mkdirSync(target);
  mkdirSync(home);
  writeFileSync(join(project, 'src', 'index.ts'), 'export const answer = 42;\n');
  writeFileSync(join(project, 'package.json'), '{"name":"demo","version":"1.0.0"}\n');
  return {
    dir,
    project,
    target,
    home,
    log: join(dir, 'fake-cli.log'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Env for the server under test: fake critics, the sandbox as the only root, fast progress, short bounds. */
export function serverEnv(sandbox: Sandbox, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: sandbox.home,
    XDG_CONFIG_HOME: join(sandbox.home, '.config'),
    BRUTALIST_CLAUDE_BIN: fakeBin('claude'),
    BRUTALIST_CODEX_BIN: fakeBin('codex'),
    BRUTALIST_GEMINI_BIN: fakeBin('gemini'),
    BRUTALIST_AGY_BIN: fakeBin('agy'),
    BRUTALIST_EXTRA_ENV: 'FAKE_CLI_*',
    BRUTALIST_ROOTS: sandbox.project,
    BRUTALIST_PROGRESS_INTERVAL_MS: '250',
    BRUTALIST_KILL_GRACE_MS: '500',
    BRUTALIST_CLI_TIMEOUT_MS: '20000',
    FAKE_CLI_LOG: sandbox.log,
    // Unconfined: the fakes' log is on the host and their pids are host pids (confinement has its own tests).
    BRUTALIST_SANDBOX: 'off',
    // State goes to the sandbox, never to the real user's state folder.
    BRUTALIST_STATE_DIR: join(sandbox.dir, 'state'),
    ...extra,
  };
}

/** The built server as a child process, driven by the real MCP SDK client over stdio. */
export async function connectStdio(
  env: Record<string, string>,
  cwd: string,
  cli = CLI_JS,
): Promise<{ client: Client; close: () => Promise<void>; pid: number }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cli],
    env,
    cwd,
    stderr: 'pipe',
  });
  const client = new Client({ name: 'brutalist-e2e', version: '1.0.0' });
  await client.connect(transport);
  return { client, close: () => client.close(), pid: transport.pid ?? -1 };
}

/** One invocation of a fake CLI, as it logs it (test/fixtures/bin). */
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

/** Reads the fake CLIs' invocation log (one JSON line per invocation); none yet: empty. */
export function readLog(path: string): LoggedInvocation[] {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as LoggedInvocation);
  } catch {
    return [];
  }
}

/** True while `pid` is a live process (not a zombie, not dead). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Polls `predicate` every 20 ms until it holds or `limitMs` passes; returns whether it held. */
export async function waitFor(predicate: () => boolean, limitMs: number): Promise<boolean> {
  const until = performance.now() + limitMs;
  while (performance.now() < until) {
    if (predicate()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return predicate();
}

/** Like waitFor, but a condition that never holds fails the test here, with this message. */
export async function waitUntil(predicate: () => boolean, limitMs = 10_000): Promise<void> {
  if (!(await waitFor(predicate, limitMs))) throw new Error('waitUntil: condition not met in time');
}

/** The app in this process (so coverage sees it), reached by the real SDK client over the SDK's in-memory transport. */
export async function connectInProcess(
  overrides: ConfigInput,
  options: { env?: NodeJS.ProcessEnv; owner?: string; app?: App; roots?: string[] } = {},
): Promise<{ client: Client; app: App; close: () => Promise<void> }> {
  const env = options.env ?? { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp' };
  // Memory by default: in-process tests must never write to the real user's state folder.
  const app =
    options.app ?? createApp(resolveConfig({ overrides: { stateStore: 'memory', ...overrides } }), { env });
  const server = app.createServer(options.owner ?? 'local');
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client(
    { name: 'brutalist-int', version: '1.0.0' },
    options.roots ? { capabilities: { roots: { listChanged: true } } } : {},
  );
  if (options.roots) {
    const roots = options.roots;
    client.setRequestHandler(ListRootsRequestSchema, async () => ({
      roots: roots.map((r) => ({ uri: pathToFileURL(r).href })),
    }));
  }
  await server.connect(serverSide);
  await client.connect(clientSide);
  return {
    client,
    app,
    close: async () => {
      await client.close();
      if (!options.app) await app.shutdown();
    },
  };
}

/**
 * Every critic pointed at its fake, the `FAKE_CLI_*` knobs let through. Unconfined: the fakes' log is on the host
 * and their pids are host pids (confinement has its own tests, which ask for the sandbox).
 */
const FAKE_CRITIC_OVERRIDES: ConfigInput = {
  claudeBin: fakeBin('claude'),
  codexBin: fakeBin('codex'),
  geminiBin: fakeBin('gemini'),
  agyBin: fakeBin('agy'),
  extraEnv: ['FAKE_CLI_*'],
  sandbox: 'off',
};

/** Server config overrides: the fake critics, the sandbox's project as the only root, short bounds. */
export function fakeCritics(sandbox: Sandbox, extra: ConfigInput = {}): ConfigInput {
  return {
    ...FAKE_CRITIC_OVERRIDES,
    roots: [sandbox.project],
    killGraceMs: 500,
    cliTimeoutMs: 20_000,
    ...extra,
  };
}

/** A resolved config with the fake critics and otherwise the defaults, for tests of the critics layer. */
export function fakeConfig(overrides: ConfigInput = {}): Config {
  return resolveConfig({ overrides: { ...FAKE_CRITIC_OVERRIDES, ...overrides } });
}

/** The BrutalistError `p` rejects with; fails the test when it resolves or rejects with anything else. */
export async function brutalistRejection(p: Promise<unknown>): Promise<BrutalistError> {
  try {
    await p;
  } catch (err) {
    if (isBrutalistError(err)) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}
