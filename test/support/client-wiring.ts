// How each real MCP client is wired for the client tests: the tool names its model sees, its config files
// (MCP server entry, stub model endpoint, quiet settings), argv and environment.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { binOf, CLIENT_PINS, PINNED, pinOf } from '../../scripts/real-clis.js';
import { GEMINI_TEST_SETTINGS, STUB_KEYS } from './real-clis.js';
import type { SeenToolResult, StubApi } from './stub-model/index.js';

/** The server name every client is configured with; it shapes the tool names the model sees. */
export const SERVER_NAME = 'brutalist';

/** How to start one client: binary, argv, whole environment, and what to write to its stdin (then closed). */
export interface Launch {
  readonly bin: string;
  readonly args: string[];
  readonly env: Record<string, string>;
  readonly stdin?: string;
}

/** Everything that differs between clients: tool naming on the wire, config files, argv and env. */
export interface Wiring {
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
    /** The client's own MCP tool-call timeout, when the test sets one. */
    toolTimeoutMs: number | undefined,
    prompt: string,
  ): Launch;
}

/** The brutalist server as a stdio MCP server entry of a client config, or (`http` set) a Streamable HTTP one. */
export interface McpServerConfig {
  readonly command: string;
  readonly args: string[];
  readonly env: Record<string, string>;
  /** A running `serve --http` to connect to instead of launching the command. */
  readonly http?: { readonly url: string; readonly headers: Record<string, string> };
}

/** The stdio parts of a server entry; a client wired for stdio only refuses an HTTP server. */
function stdioOnly(server: McpServerConfig): Omit<McpServerConfig, 'http'> {
  if (server.http) throw new Error('this client is wired for stdio servers only');
  return { command: server.command, args: server.args, env: server.env };
}

/** The client's own environment: nothing inherited but PATH; HOME, TMPDIR and XDG dirs in its sandbox. */
export const BASE_ENV = (dir: string) => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: join(dir, 'home'),
  TMPDIR: join(dir, 'tmp'),
  XDG_CONFIG_HOME: join(dir, 'home', '.config'),
  XDG_CACHE_HOME: join(dir, 'home', '.cache'),
});

export function claudeWiring(version: string, defersTools: boolean): Wiring {
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
    prepare(dir, url, server, toolTimeoutMs, prompt) {
      const config = join(dir, 'mcp.json');
      const entry = server.http
        ? { type: 'http', url: server.http.url, headers: server.http.headers }
        : { type: 'stdio', ...server };
      writeFileSync(config, JSON.stringify({ mcpServers: { [SERVER_NAME]: entry } }));
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
          ...(toolTimeoutMs ? { MCP_TOOL_TIMEOUT: String(toolTimeoutMs) } : {}),
        },
      };
    },
  };
}

const tomlString = (s: string) => JSON.stringify(s);

export const codexWiring: Wiring = {
  api: 'openai',
  // Codex offers each MCP server's tools in a namespace `mcp__<server>`; calls name the tool and the namespace.
  wire: (tool) => ({ name: tool, namespace: `mcp__${SERVER_NAME}` }),
  mcpName: (name) => name.replace(/^mcp__brutalist__/, ''),
  offeredName: (tool) => `mcp__${SERVER_NAME}/${tool}`,
  prepare(dir, url, server, toolTimeoutMs, prompt) {
    const s = stdioOnly(server);
    const codexHome = join(dir, 'home', '.codex');
    mkdirSync(codexHome, { recursive: true });
    const env = Object.entries(s.env)
      .map(([k, v]) => `${k} = ${tomlString(v)}`)
      .join(', ');
    const timeoutSec = toolTimeoutMs ? toolTimeoutMs / 1000 : 120;
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

export const geminiWiring: Wiring = {
  api: 'gemini',
  wire: (tool) => ({ name: `mcp_${SERVER_NAME}_${tool}` }),
  mcpName: (name) =>
    name.startsWith(`mcp_${SERVER_NAME}_`) ? name.slice(`mcp_${SERVER_NAME}_`.length) : undefined,
  offeredName: (tool) => `mcp_${SERVER_NAME}_${tool}`,
  prepare(dir, url, server, toolTimeoutMs, prompt) {
    const settings = {
      ...GEMINI_TEST_SETTINGS,
      mcpServers: {
        [SERVER_NAME]: { ...stdioOnly(server), trust: true, timeout: toolTimeoutMs ?? 120_000 },
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
