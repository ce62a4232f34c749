// Harness of the real-client tests: the real MCP clients (Claude Code, Codex, Gemini CLI, Inspector CLI) run
// isolated against the built server (fake critics) and a scripted stub model, and report what the model got.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binOf, CLIENT_PINS, ensureAll, isInstalled, PINNED, pinOf } from '../../scripts/real-clis.js';
import { CLI_JS, FAKE_BIN } from './harness.js';
import { GEMINI_TEST_SETTINGS, STUB_KEYS } from './real-clis.js';
import type {
  ClientScript,
  RecordedRequest,
  SeenToolResult,
  StubApi,
  StubModelServer,
} from './stub-model/index.js';
import { toolNamesIn, toolResultsIn } from './stub-model/index.js';

/** The server name every client is configured with; it shapes the tool names the model sees. */
export const SERVER_NAME = 'brutalist';

/** A step of a test's script in the client-neutral form: an MCP tool and its arguments, or a final text. */
export type Step =
  | { readonly tool: string; readonly input: Record<string, unknown> }
  | { readonly text: string };
/** A tool result as the model got it, with the MCP tool name (`roast`) instead of the client's wire name. */
export type Seen = SeenToolResult & { readonly tool: string };
export type Script = (seen: readonly Seen[]) => Step;

export interface ClientRunOptions {
  readonly stub: StubModelServer;
  readonly script: Script;
  /** Extra env of the brutalist server (e.g. BRUTALIST_WAIT_MS). */
  readonly serverEnv?: Record<string, string>;
  /** The client's own MCP tool-call timeout (Codex tool_timeout_sec, Gemini timeout, Claude MCP_TOOL_TIMEOUT). */
  readonly toolTimeoutMs?: number;
  /** Hard limit on the whole client run; the process group is killed after it. */
  readonly limitMs?: number;
}

export interface ClientRun {
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** Model requests of this run that offered tools (the conversation), in order. */
  readonly turns: RecordedRequest[];
  /** The tool names offered in each turn. */
  readonly offered: string[][];
  /** The tool results in the last turn: everything the model received from tool calls. */
  readonly seen: Seen[];
}

export interface ClientProfile {
  readonly id: string;
  readonly version: string;
  readonly api: StubApi;
  /** How an MCP tool shows in the tools of this client's model requests (Codex: `namespace/name`). */
  offeredName(tool: string): string;
  run(options: ClientRunOptions): Promise<ClientRun>;
}

/** Deliberately generous: a client run is a few model turns plus server starts on a loaded 2-core machine. */
const DEFAULT_LIMIT_MS = 150_000;
let runSeq = 0;

/** The pinned client binaries, installed if missing (the group fails loudly, never skips). */
export async function requireRealClients(): Promise<void> {
  if ([...PINNED, ...CLIENT_PINS].every((pin) => isInstalled(pin))) return;
  try {
    await ensureAll();
  } catch (err) {
    throw new Error(`REAL CLIENTS MISSING: run \`npx tsx scripts/real-clis.ts install\`.\n${String(err)}`);
  }
}

/** The brutalist server's env inside each client's MCP config: fake critics, one root, state in the sandbox. */
function brutalistEnv(dir: string, extra: Record<string, string>): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: join(dir, 'server-home'),
    BRUTALIST_CLAUDE_BIN: join(FAKE_BIN, 'claude'),
    BRUTALIST_CODEX_BIN: join(FAKE_BIN, 'codex'),
    BRUTALIST_GEMINI_BIN: join(FAKE_BIN, 'gemini'),
    BRUTALIST_EXTRA_ENV: 'FAKE_CLI_*',
    BRUTALIST_ROOTS: join(dir, 'project'),
    BRUTALIST_STATE_STORE: 'memory',
    BRUTALIST_KILL_GRACE_MS: '500',
    BRUTALIST_CLI_TIMEOUT_MS: '120000',
    BRUTALIST_PROBE_TIMEOUT_MS: '60000',
    FAKE_CLI_LOG: join(dir, 'fake-cli.log'),
    ...extra,
  };
}

interface Launch {
  readonly bin: string;
  readonly args: string[];
  readonly env: Record<string, string>;
  readonly stdin?: string;
}

/** Runs one client in its own process group with a hard deadline; the whole group is killed afterwards. */
function launch(l: Launch, cwd: string, limitMs: number) {
  return new Promise<{ exitCode: number | null; timedOut: boolean; stdout: string; stderr: string }>(
    (resolve) => {
      const child = spawn(l.bin, l.args, {
        cwd,
        env: l.env,
        detached: true,
        stdio: [l.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout?.on('data', (d: Buffer) => {
        stdout += d.toString('utf8');
      });
      child.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString('utf8')).slice(-64_000);
      });
      if (l.stdin !== undefined) child.stdin?.end(l.stdin);
      const killGroup = () => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      };
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup();
      }, limitMs);
      child.on('error', (err) => {
        stderr += String(err);
      });
      child.on('close', (exitCode) => {
        clearTimeout(timer);
        killGroup(); // The MCP server and anything else the client left in its group.
        resolve({ exitCode, timedOut, stdout, stderr });
      });
    },
  );
}

interface Wiring {
  readonly api: StubApi;
  /** The wire name (and Codex namespace) of an MCP tool. */
  wire(tool: string): { name: string; namespace?: string };
  /** The MCP tool name of a wire name, or undefined for the client's own tools (ToolSearch). */
  mcpName(wireName: string): string | undefined;
  /** A client-own call the model must make first (Claude Code 2.1.332's ToolSearch), if not yet made. */
  preamble?(seen: readonly SeenToolResult[]): { name: string; input: Record<string, unknown> } | undefined;
  offeredName(tool: string): string;
  prepare(
    dir: string,
    stubUrl: string,
    server: McpServerConfig,
    options: ClientRunOptions,
    prompt: string,
  ): Launch;
}

interface McpServerConfig {
  readonly command: string;
  readonly args: string[];
  readonly env: Record<string, string>;
}

/** Turns a test's script into the stub's script for one client's wire names. */
function wireScript(w: Wiring, script: Script): ClientScript {
  return (seen) => {
    const first = w.preamble?.(seen);
    if (first) return { call: first };
    const mine: Seen[] = seen.flatMap((s) => {
      const tool = w.mcpName(s.name);
      return tool ? [{ ...s, tool }] : [];
    });
    const step = script(mine);
    return 'text' in step ? step : { call: { ...w.wire(step.tool), input: step.input } };
  };
}

function profile(id: string, version: string, w: Wiring): ClientProfile {
  return {
    id,
    version,
    api: w.api,
    offeredName: w.offeredName,
    async run(options) {
      const dir = mkdtempSync(join(tmpdir(), `brutalist-client-${id}-`));
      const runMark = `CLIENT-RUN-${process.pid}-${++runSeq}`;
      try {
        for (const sub of ['home', 'tmp', 'project', 'server-home']) mkdirSync(join(dir, sub));
        writeFileSync(join(dir, 'project', 'README.md'), '# demo\n');
        const server = {
          command: process.execPath,
          args: [CLI_JS],
          env: brutalistEnv(dir, options.serverEnv ?? {}),
        };
        options.stub.when(runMark, { client: wireScript(w, options.script), text: 'Done.' }, w.api);
        const prompt = `Use the brutalist roast tool as instructed. ${runMark}`;
        const l = w.prepare(dir, options.stub.url, server, options, prompt);
        const out = await launch(l, join(dir, 'project'), options.limitMs ?? DEFAULT_LIMIT_MS);
        const turns = options.stub
          .requestsWith(runMark)
          .filter((r) => r.api === w.api && toolNamesIn(w.api, r.body).length > 0);
        const last = turns.at(-1);
        const seen: Seen[] = (last ? toolResultsIn(w.api, last.body) : []).map((s) => ({
          ...s,
          tool: w.mcpName(s.name) ?? s.name,
        }));
        return { ...out, turns, offered: turns.map((t) => toolNamesIn(w.api, t.body)), seen };
      } finally {
        if (!process.env.KEEP_CLIENT_DIR) rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

const BASE_ENV = (dir: string) => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: join(dir, 'home'),
  TMPDIR: join(dir, 'tmp'),
  XDG_CONFIG_HOME: join(dir, 'home', '.config'),
  XDG_CACHE_HOME: join(dir, 'home', '.cache'),
});

function claudeWiring(version: string, defersTools: boolean): Wiring {
  const prefix = `mcp__${SERVER_NAME}__`;
  return {
    api: 'anthropic',
    wire: (tool) => ({ name: `${prefix}${tool}` }),
    mcpName: (name) => (name.startsWith(prefix) ? name.slice(prefix.length) : undefined),
    ...(defersTools
      ? {
          // 2.1.332 offers MCP tools only after the model selects them with its ToolSearch tool.
          preamble: (seen: readonly SeenToolResult[]) =>
            seen.some((s) => s.name === 'ToolSearch')
              ? undefined
              : { name: 'ToolSearch', input: { query: `select:${prefix}roast` } },
        }
      : {}),
    offeredName: (tool) => `${prefix}${tool}`,
    prepare(dir, url, server, options, prompt) {
      const config = join(dir, 'mcp.json');
      writeFileSync(config, JSON.stringify({ mcpServers: { [SERVER_NAME]: { type: 'stdio', ...server } } }));
      const pin =
        version === PINNED[0]!.version ? pinOf('claude') : CLIENT_PINS.find((p) => p.version === version)!;
      return {
        bin: binOf(pin),
        args: [
          '-p',
          '--output-format',
          'json',
          '--no-session-persistence',
          '--model',
          'claude-sonnet-4-5',
          '--strict-mcp-config',
          '--mcp-config',
          config,
          '--allowedTools',
          `mcp__${SERVER_NAME}`,
        ],
        stdin: prompt,
        env: {
          ...BASE_ENV(dir),
          ANTHROPIC_BASE_URL: url,
          ANTHROPIC_API_KEY: STUB_KEYS.ANTHROPIC_API_KEY,
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
          CLAUDE_CODE_MAX_RETRIES: '0',
          DISABLE_TELEMETRY: '1',
          DISABLE_ERROR_REPORTING: '1',
          DISABLE_AUTOUPDATER: '1',
          MCP_TIMEOUT: '60000',
          // -p starts the first turn before MCP servers connect unless told to wait for them.
          MCP_CONNECTION_NONBLOCKING: 'false',
          ...(options.toolTimeoutMs ? { MCP_TOOL_TIMEOUT: String(options.toolTimeoutMs) } : {}),
        },
      };
    },
  };
}

const tomlString = (s: string) => JSON.stringify(s);

const codexWiring: Wiring = {
  api: 'openai',
  // Codex offers each MCP server's tools in a namespace `mcp__<server>`; calls name the tool and the namespace.
  wire: (tool) => ({ name: tool, namespace: `mcp__${SERVER_NAME}` }),
  mcpName: (name) => name.replace(/^mcp__brutalist__/, ''),
  offeredName: (tool) => `mcp__${SERVER_NAME}/${tool}`,
  prepare(dir, url, s, options, prompt) {
    const codexHome = join(dir, 'home', '.codex');
    mkdirSync(codexHome, { recursive: true });
    const env = Object.entries(s.env)
      .map(([k, v]) => `${k} = ${tomlString(v)}`)
      .join(', ');
    const timeoutSec = options.toolTimeoutMs ? options.toolTimeoutMs / 1000 : 120;
    writeFileSync(
      join(codexHome, 'config.toml'),
      `model = "gpt-5"
model_provider = "stub"
check_for_update_on_startup = false
approval_policy = "never"

[analytics]
enabled = false

[features]
plugins = false
remote_plugin = false
apps = false
in_app_updates = false
# Else MCP tools join the turn only once the server has started (after the first request).
incremental_tools = false

[model_providers.stub]
name = "stub"
base_url = ${tomlString(`${url}/v1`)}
wire_api = "responses"
env_key = "STUB_API_KEY"
request_max_retries = 0
stream_max_retries = 0

[mcp_servers.${SERVER_NAME}]
command = ${tomlString(s.command)}
args = [${s.args.map(tomlString).join(', ')}]
env = { ${env} }
startup_timeout_sec = 60
required = true
tool_timeout_sec = ${timeoutSec}
`,
    );
    return {
      bin: binOf(pinOf('codex')),
      args: ['exec', '--json', '--skip-git-repo-check', '--ephemeral', '-'],
      stdin: prompt,
      env: {
        ...BASE_ENV(dir),
        CODEX_HOME: codexHome,
        STUB_API_KEY: 'stub-key',
      },
    };
  },
};

const geminiWiring: Wiring = {
  api: 'gemini',
  wire: (tool) => ({ name: `mcp_${SERVER_NAME}_${tool}` }),
  mcpName: (name) =>
    name.startsWith(`mcp_${SERVER_NAME}_`) ? name.slice(`mcp_${SERVER_NAME}_`.length) : undefined,
  offeredName: (tool) => `mcp_${SERVER_NAME}_${tool}`,
  prepare(dir, url, server, options, prompt) {
    const settings = {
      ...GEMINI_TEST_SETTINGS,
      mcpServers: {
        [SERVER_NAME]: { ...server, trust: true, timeout: options.toolTimeoutMs ?? 120_000 },
      },
    };
    mkdirSync(join(dir, 'home', '.gemini'), { recursive: true });
    writeFileSync(join(dir, 'home', '.gemini', 'settings.json'), JSON.stringify(settings, null, 2));
    return {
      bin: binOf(pinOf('gemini')),
      args: ['--skip-trust', '-m', 'gemini-2.5-pro', '-o', 'json', '-p', prompt],
      env: {
        ...BASE_ENV(dir),
        GEMINI_API_KEY: STUB_KEYS.GEMINI_API_KEY,
        GOOGLE_GEMINI_BASE_URL: url,
        GEMINI_CLI_NO_RELAUNCH: 'true',
      },
    };
  },
};

/** Every real MCP client the tests drive, at its pinned version. */
export const CLIENTS: readonly ClientProfile[] = [
  profile('claude-2.1.197', '2.1.197', claudeWiring('2.1.197', false)),
  profile('claude-2.1.332', '2.1.332', claudeWiring('2.1.332', true)),
  profile('codex-0.169.0', '0.169.0', codexWiring),
  profile('gemini-0.61.0', '0.61.0', geminiWiring),
];

export interface InspectorRun {
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout parsed as JSON (the CLI prints the method's result), or undefined. */
  readonly json: unknown;
}

/**
 * The MCP Inspector CLI against the built server: `mcp-inspector --cli node dist/cli.js -e K=V ... --method M`.
 * `toolArgs` become `--tool-arg key=value` (arrays and objects as JSON, which the CLI parses by the schema).
 */
export async function runInspector(
  method: 'tools/list' | 'tools/call',
  options: { toolName?: string; toolArgs?: Record<string, unknown>; serverEnv?: Record<string, string> } = {},
): Promise<InspectorRun> {
  const pin = CLIENT_PINS.find((p) => p.name === 'inspector')!;
  const dir = mkdtempSync(join(tmpdir(), 'brutalist-client-inspector-'));
  try {
    for (const sub of ['home', 'tmp', 'project', 'server-home']) mkdirSync(join(dir, sub));
    const env = brutalistEnv(dir, options.serverEnv ?? {});
    const args = ['--cli', process.execPath, CLI_JS];
    for (const [k, v] of Object.entries(env)) args.push('-e', `${k}=${v}`);
    args.push('--method', method);
    if (options.toolName) args.push('--tool-name', options.toolName);
    for (const [k, v] of Object.entries(options.toolArgs ?? {})) {
      args.push('--tool-arg', `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
    }
    const out = await launch(
      { bin: binOf(pin), args, env: BASE_ENV(dir) },
      join(dir, 'project'),
      DEFAULT_LIMIT_MS,
    );
    let json: unknown;
    try {
      json = JSON.parse(out.stdout);
    } catch {
      json = undefined;
    }
    return { ...out, json };
  } finally {
    if (!process.env.KEEP_CLIENT_DIR) rmSync(dir, { recursive: true, force: true });
  }
}
