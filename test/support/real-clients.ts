// Harness of the real-client tests: the real MCP clients (Claude Code, Codex, Gemini CLI, Inspector CLI) run
// isolated against the built server (fake critics) and a scripted stub model, and report what the model got.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binOf, CLIENT_PINS, ensureAll, isInstalled, PINNED } from '../../scripts/real-clis.js';
import {
  BASE_ENV,
  claudeWiring,
  codexWiring,
  geminiWiring,
  type Launch,
  type McpServerConfig,
  type Wiring,
} from './client-wiring.js';
import { CLI_JS, FAKE_BIN } from './harness.js';
import type {
  ClientScript,
  RecordedRequest,
  SeenToolResult,
  StubApi,
  StubModelServer,
} from './stub-model/index.js';
import { toolNamesIn, toolResultsIn } from './stub-model/index.js';

export { SERVER_NAME } from './client-wiring.js';

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
  /** Connect to this running `serve --http` (URL of /mcp and request headers) instead of launching the server. */
  readonly http?: { readonly url: string; readonly headers: Record<string, string> };
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
        const server: McpServerConfig = {
          command: process.execPath,
          args: [CLI_JS],
          env: brutalistEnv(dir, options.serverEnv ?? {}),
          ...(options.http ? { http: options.http } : {}),
        };
        options.stub.when(runMark, { client: wireScript(w, options.script), text: 'Done.' }, w.api);
        const prompt = `Use the brutalist roast tool as instructed. ${runMark}`;
        const l = w.prepare(dir, options.stub.url, server, options.toolTimeoutMs, prompt);
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
  options: {
    toolName?: string;
    toolArgs?: Record<string, unknown>;
    serverEnv?: Record<string, string>;
    /** The /mcp URL of a running `serve --http` (the Inspector 0.15 CLI sends no headers: auth must be off). */
    url?: string;
  } = {},
): Promise<InspectorRun> {
  const pin = CLIENT_PINS.find((p) => p.name === 'inspector')!;
  const dir = mkdtempSync(join(tmpdir(), 'brutalist-client-inspector-'));
  try {
    for (const sub of ['home', 'tmp', 'project', 'server-home']) mkdirSync(join(dir, sub));
    const env = brutalistEnv(dir, options.serverEnv ?? {});
    const args = options.url ? ['--cli', options.url] : ['--cli', process.execPath, CLI_JS];
    if (!options.url) for (const [k, v] of Object.entries(env)) args.push('-e', `${k}=${v}`);
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
