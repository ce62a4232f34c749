// Harness of the real-CLI tests: the pinned claude/codex/gemini binaries, an isolated sandbox per server
// (HOME, TMPDIR, CODEX_HOME, gemini settings), the built server over stdio, and process-tree helpers.
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import {
  binOf,
  ensureAll,
  isInstalled,
  PINNED,
  type PinnedCli,
  pinOf,
  realClisDir,
} from '../../scripts/real-clis.js';
import {
  ADAPTERS,
  type FileAccess,
  GEMINI_SYSTEM_DEFAULTS_PATH,
  geminiReadsSystemFile,
  type ParsedOutput,
} from '../../src/critics/index.js';
import type { CriticName } from '../../src/engine/config.js';

/** The critics whose real CLIs can be installed here (agy is a closed binary from Google's installer, not on npm). */
export type RealCritic = Exclude<CriticName, 'agy'>;

import { buildChildEnv, type RunResult, runProcess } from '../../src/process/index.js';
import { CLI_JS } from './harness.js';
import type { StubModelServer } from './stub-model/index.js';

export { PINNED, type PinnedCli, pinOf };

/** Installing takes 10-20 s per CLI when the cache is cold (pretest normally did it already). */
export const INSTALL_TIMEOUT_MS = 6 * 60_000;
/** One real-CLI test: a few CLI runs, each bounded by our own deadlines (at most ~40 s) on a loaded machine. */
export const REAL_TEST_TIMEOUT_MS = 180_000;

/**
 * The pinned binaries, installed if missing. Throws (the group fails loudly, it never skips) when a CLI
 * cannot be installed.
 */
export async function requireRealClis(): Promise<Record<RealCritic, string>> {
  if (!PINNED.every((pin) => isInstalled(pin))) {
    try {
      await ensureAll();
    } catch (err) {
      throw new Error(
        `REAL CLIS MISSING: the real-CLI test group cannot run without claude/codex/gemini at their pinned ` +
          `versions. Run \`npx tsx scripts/real-clis.ts install\`.\n${String(err)}`,
      );
    }
  }
  return {
    claude: binOf(pinOf('claude')),
    codex: binOf(pinOf('codex')),
    gemini: binOf(pinOf('gemini')),
  };
}

export interface RealSandbox {
  readonly dir: string;
  /** The target repository critics are pointed at (also the server's only root). */
  readonly project: string;
  readonly home: string;
  readonly tmp: string;
  readonly codexHome: string;
  cleanup(): void;
}

/** Gemini CLI: API-key auth, nothing phoned home, no update checks, one attempt (fail fast on 429/500). */
export const GEMINI_TEST_SETTINGS = {
  security: { auth: { selectedType: 'gemini-api-key' } },
  telemetry: { enabled: false },
  privacy: { usageStatisticsEnabled: false },
  general: { disableAutoUpdate: true, disableUpdateNag: true, maxAttempts: 1 },
};

/**
 * Codex: no update checks, analytics or plugin fetches, and no retries against the stub. The provider table
 * merges with the `-c model_providers.brutalist.*` flags the adapter passes when codexBaseUrl is set.
 */
export const CODEX_TEST_CONFIG = `check_for_update_on_startup = false

[analytics]
enabled = false

[features]
plugins = false
remote_plugin = false
apps = false
in_app_updates = false

[model_providers.brutalist]
request_max_retries = 0
stream_max_retries = 0
`;

export function makeRealSandbox(prefix = 'brutalist-real-'): RealSandbox {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const project = join(dir, 'project');
  const home = join(dir, 'home');
  const tmp = join(dir, 'tmp');
  const codexHome = join(home, '.codex');
  mkdirSync(join(project, 'src'), { recursive: true });
  mkdirSync(join(home, '.gemini'), { recursive: true });
  mkdirSync(codexHome, { recursive: true });
  mkdirSync(tmp);
  writeFileSync(join(project, 'package.json'), '{"name":"demo","version":"1.0.0","type":"module"}\n');
  writeFileSync(join(project, 'README.md'), '# demo\n\nA tiny service.\n');
  writeFileSync(
    join(project, 'src', 'index.ts'),
    'export function add(a: number, b: number) {\n  return a + b;\n}\n',
  );
  writeFileSync(join(home, '.gemini', 'settings.json'), `${JSON.stringify(GEMINI_TEST_SETTINGS, null, 2)}\n`);
  writeFileSync(join(codexHome, 'config.toml'), CODEX_TEST_CONFIG);
  return { dir, project, home, tmp, codexHome, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Fake API keys: the stub accepts anything, and nothing real may ever reach these CLIs in tests. */
export const STUB_KEYS = {
  ANTHROPIC_API_KEY: 'sk-ant-stub-key',
  OPENAI_API_KEY: 'sk-openai-stub-key',
  GEMINI_API_KEY: 'gemini-stub-key',
} as const;

/**
 * The whole environment of the server under test (nothing inherited but PATH): real CLIs, the stub as every
 * critic's endpoint, the keys the adapters' allowlists pass on, quiet CLI settings, and no retries or breakers
 * in the way of failure tests.
 */
/**
 * The gemini system-defaults file for the real-CLI servers. A checkout under /tmp (world-writable) fails gemini's
 * rule and every gemini run would end WORKSPACE_UNTRUSTED; as root, a copy in the real-CLIs cache passes it.
 */
function geminiDefaultsEnv(): Record<string, string> {
  if (geminiReadsSystemFile(GEMINI_SYSTEM_DEFAULTS_PATH) || process.getuid?.() !== 0) return {};
  const copy = join(realClisDir(), 'gemini-system-defaults.json');
  mkdirSync(dirname(copy), { recursive: true, mode: 0o755 });
  copyFileSync(GEMINI_SYSTEM_DEFAULTS_PATH, copy);
  return geminiReadsSystemFile(copy) ? { BRUTALIST_GEMINI_SYSTEM_DEFAULTS_PATH: copy } : {};
}

export function realServerEnv(
  sandbox: RealSandbox,
  bins: Record<RealCritic, string>,
  stub: StubModelServer | { url: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: sandbox.home,
    TMPDIR: sandbox.tmp,
    XDG_CONFIG_HOME: join(sandbox.home, '.config'),
    XDG_CACHE_HOME: join(sandbox.home, '.cache'),
    XDG_STATE_HOME: join(sandbox.home, '.local', 'state'),
    BRUTALIST_STATE_STORE: 'memory',
    BRUTALIST_CLAUDE_BIN: bins.claude,
    BRUTALIST_CODEX_BIN: bins.codex,
    BRUTALIST_GEMINI_BIN: bins.gemini,
    BRUTALIST_CLAUDE_BASE_URL: stub.url,
    BRUTALIST_CODEX_BASE_URL: `${stub.url}/v1`,
    BRUTALIST_GEMINI_BASE_URL: stub.url,
    BRUTALIST_ROOTS: sandbox.project,
    BRUTALIST_KILL_GRACE_MS: '500',
    BRUTALIST_CLI_TIMEOUT_MS: '60000',
    BRUTALIST_STALL_TIMEOUT_MS: '30000',
    BRUTALIST_PROGRESS_INTERVAL_MS: '1000',
    // These tests watch one call to its end (deadlines, stalls, a client cancel): no "running" answer midway.
    BRUTALIST_WAIT_MS: '600000',
    // Many real CLIs start at once on 2 cores: a `--version` probe can take seconds.
    BRUTALIST_PROBE_TIMEOUT_MS: '60000',
    BRUTALIST_RETRY_MAX_ATTEMPTS: '1',
    BRUTALIST_BREAKER_WINDOW_SIZE: '1000',
    BRUTALIST_BREAKER_MINIMUM_CALLS: '1000',
    BRUTALIST_SHED_EVENT_LOOP_DELAY_MS: '60000',
    BRUTALIST_SHED_HEAP_USED_PCT: '100',
    // Unconfined unless a test asks for bwrap (test/real/confine.test.ts): the write traces follow host paths.
    BRUTALIST_SANDBOX: 'off',
    ...STUB_KEYS,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    CLAUDE_CODE_MAX_RETRIES: '0',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_AUTOUPDATER: '1',
    CODEX_HOME: sandbox.codexHome,
    ...geminiDefaultsEnv(),
    ...extra,
  };
}

export interface RealServer {
  readonly client: Client;
  /** The pid of the process the transport started (the server, or a wrapper such as strace). */
  readonly pid: number;
  close(): Promise<void>;
}

/** The built server over stdio; `wrapper` runs it under another command (e.g. strace). */
export async function connectRealServer(
  env: Record<string, string>,
  cwd: string,
  wrapper?: { command: string; args: readonly string[] },
): Promise<RealServer> {
  const transport = new StdioClientTransport({
    command: wrapper ? wrapper.command : process.execPath,
    args: wrapper ? [...wrapper.args, process.execPath, CLI_JS] : [CLI_JS],
    env,
    cwd,
    stderr: 'pipe',
  });
  const client = new Client({ name: 'brutalist-real', version: '1.0.0' });
  await client.connect(transport);
  return { client, pid: transport.pid ?? -1, close: () => client.close() };
}

export async function callTool(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args }, undefined, {
    timeout: options.timeoutMs ?? 120_000,
    ...(options.signal ? { signal: options.signal } : {}),
  })) as CallToolResult;
}

export function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
}

export interface ToolError {
  code: string;
  message: string;
  data: Record<string, unknown>;
}

export function errorOf(result: CallToolResult): ToolError | undefined {
  if (!result.isError) return undefined;
  return (result.structuredContent as { error: ToolError }).error;
}

export interface CriticSummary {
  critic: string;
  ok: boolean;
  model: string | null;
  cliVersion: string | null;
  exitClass: string;
  argv?: string[];
  truncated?: boolean;
  errorCode?: string | null;
}

export interface Structured {
  contextId: string;
  page: { offset: number; nextOffset: number | null; totalChars: number; nextCursor: string | null };
  critics: CriticSummary[];
  cached: boolean;
}

export const structuredOf = (r: CallToolResult) => r.structuredContent as unknown as Structured;

// ---- processes (Linux /proc)

export interface ProcInfo {
  readonly pid: number;
  readonly ppid: number;
  readonly pgid: number;
  readonly state: string;
}

export function processTable(): Map<number, ProcInfo> {
  const table = new Map<number, ProcInfo>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(name), {
        pid: Number(name),
        state: rest[0]!,
        ppid: Number(rest[1]),
        pgid: Number(rest[2]),
      });
    } catch {
      // Exited while we looked.
    }
  }
  return table;
}

/** Live (non-zombie) descendants of `root`. */
export function descendantsOf(root: number, table = processTable()): ProcInfo[] {
  const out: ProcInfo[] = [];
  const frontier = [root];
  while (frontier.length > 0) {
    const parent = frontier.pop()!;
    for (const p of table.values()) {
      if (p.ppid === parent && p.state !== 'Z') {
        out.push(p);
        frontier.push(p.pid);
      }
    }
  }
  return out;
}

/** Live (non-zombie) members of any of these process groups. */
export function groupMembers(pgids: ReadonlySet<number>, table = processTable()): ProcInfo[] {
  return [...table.values()].filter((p) => pgids.has(p.pgid) && p.state !== 'Z');
}

/** The critic process groups under a server: groups of its descendants other than the server's own. */
export function criticGroups(serverPid: number): Set<number> {
  const table = processTable();
  const own = table.get(serverPid)?.pgid;
  return new Set(descendantsOf(serverPid, table).flatMap((p) => (p.pgid !== own ? [p.pgid] : [])));
}

/** Resident set of a process tree in bytes (sum of VmRSS). */
export function treeRssBytes(root: number): number {
  let total = 0;
  for (const pid of [root, ...descendantsOf(root).map((p) => p.pid)]) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) total += Number(m[1]) * 1024;
    } catch {
      // Exited while we looked.
    }
  }
  return total;
}

/** Polls every 25 ms until `predicate` holds or `limitMs` passes; returns whether it held. */
export async function waitUntil(predicate: () => boolean, limitMs: number): Promise<boolean> {
  const until = performance.now() + limitMs;
  while (performance.now() < until) {
    if (predicate()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return predicate();
}

/** A content hash of a directory tree: relative paths, types, modes and file bytes. */
export function treeHash(root: string): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const st = statSync(full);
      hash.update(`${relative(root, full)}\0${st.isDirectory() ? 'd' : 'f'}\0${st.mode}\0`);
      if (st.isDirectory()) walk(full);
      else hash.update(readFileSync(full));
    }
  };
  walk(root);
  return hash.digest('hex');
}

// ---- a critic CLI run directly (no server): same argv and env as runCritic builds, raw output kept

export interface BareRun {
  /** argv as runCritic reports it (host paths replaced by placeholders). */
  readonly args: readonly string[];
  readonly run: RunResult;
  readonly parsed: ParsedOutput | undefined;
  /** The adapter's verdict: an error code, or 'ok'. */
  readonly code: string;
}

/** The endpoint each critic is pointed at for a stub base URL. */
export function endpointFor(critic: RealCritic, url: string): string {
  return critic === 'codex' ? `${url}/v1` : url;
}

/**
 * Runs one critic CLI exactly as runCritic would (adapter argv, allowlisted env from the server env, prompt on
 * stdin, process group, deadline), keeping the raw stdout so tests can record it.
 */
export async function runBare(
  critic: RealCritic,
  bins: Record<RealCritic, string>,
  sandbox: RealSandbox,
  url: string,
  options: {
    prompt: string;
    model?: string;
    timeoutMs?: number;
    stallTimeoutMs?: number;
    cwd?: string;
    fileAccess?: FileAccess;
    /** Server env variables to leave out (e.g. an API key, to see where the CLI finds another). */
    unsetEnv?: readonly string[];
  },
): Promise<BareRun> {
  const adapter = ADAPTERS[critic];
  const cwd = options.cwd ?? sandbox.project;
  const serverEnv: Record<string, string> = realServerEnv(sandbox, bins, { url });
  const defaults = serverEnv.BRUTALIST_GEMINI_SYSTEM_DEFAULTS_PATH;
  const invocation = adapter.buildInvocation({ prompt: options.prompt }, options.model, {
    baseUrl: endpointFor(critic, url),
    cwd,
    ...(options.fileAccess ? { fileAccess: options.fileAccess } : {}),
    ...(defaults ? { geminiSystemDefaultsPath: defaults } : {}),
  });
  for (const name of options.unsetEnv ?? []) delete serverEnv[name];
  const env = buildChildEnv(serverEnv, { allow: adapter.envAllowlist(serverEnv), set: invocation.env });
  const run = await runProcess({
    command: bins[critic],
    args: invocation.args,
    cwd,
    env,
    stdin: invocation.stdin,
    timeoutMs: options.timeoutMs ?? 60_000,
    stallTimeoutMs: options.stallTimeoutMs ?? 60_000,
    killGraceMs: 500,
    maxOutputBytes: 64 * 1024 * 1024,
    maxStderrBytes: 64 * 1024,
  });
  let parsed: ParsedOutput | undefined;
  try {
    parsed = adapter.parseOutput(run.stdout.toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const failure = adapter.classifyFailure(run, parsed);
  const code = failure ?? (parsed && parsed.text.trim().length > 0 ? 'ok' : 'CLI_OUTPUT_INVALID');
  return { args: invocation.shownArgs ?? invocation.args, run, parsed, code };
}
