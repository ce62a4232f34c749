/**
 * The registry of evidence MCP servers a critic may be given: the built-in `playwright` browser and the
 * operator's own servers from the config file. A tool call only names servers; this is where names become
 * commands, and where each CLI's per-run MCP configuration (never the target's) is written.
 */
import { mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { EvidenceServerSpec } from '../config/options-evidence.js';
import { BrutalistError } from '../errors/index.js';

export const PLAYWRIGHT_SERVER = 'playwright';

/**
 * Where each critic is proven (against the real CLI) to get evidence servers through its per-run MCP
 * configuration: claude and codex in any run (claude's --mcp-config, codex's `-c mcp_servers.…` override); gemini
 * only in a run with nothing local to read (fileAccess `none`), whose private folder holds its per-run settings (a
 * target folder's settings are never written or trusted). agy has no per-run path: EVIDENCE_UNSUPPORTED.
 */
export const EVIDENCE_CRITICS: Readonly<Record<string, 'any' | 'no-file-access'>> = Object.freeze({
  claude: 'any',
  gemini: 'no-file-access',
  codex: 'any',
});

/** Whether `vendor` can be given evidence servers in a run with this file access. */
export function evidenceSupported(vendor: string, fileAccess: 'read' | 'none'): boolean {
  const scope = EVIDENCE_CRITICS[vendor];
  return scope === 'any' || (scope === 'no-file-access' && fileAccess === 'none');
}

/**
 * Playwright MCP tools a critic never gets: arbitrary code in the server's own process, and tools that hand a
 * local file to a page (a way to upload the operator's files anywhere).
 */
export const PLAYWRIGHT_DENIED_TOOLS = ['browser_run_code_unsafe', 'browser_file_upload', 'browser_drop'];

/** What the registry reads from the resolved config. */
export interface EvidenceConfig {
  readonly evidenceServers: Readonly<Record<string, EvidenceServerSpec>>;
  readonly playwrightChromiumPath: string;
  readonly evidenceStartupTimeoutMs: number;
}

/** One server as a CLI's MCP configuration declares it (stdio). */
export interface EvidenceServer {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Its tools the critic must not call (by bare tool name). */
  readonly deniedTools: readonly string[];
  /** Host folders a confined (bwrap) run must show read-only for the server to start. */
  readonly readOnly: readonly string[];
  /** Folders of the run's private scratch a confined run must show writable (the browser's output dir). */
  readonly writable: readonly string[];
  /** How long the CLI may wait for it to start and list its tools (config evidenceStartupTimeoutMs). */
  readonly startupTimeoutMs: number;
}

/** Every server name a call may give, built-in first. */
export function evidenceServerNames(config: EvidenceConfig): string[] {
  return [PLAYWRIGHT_SERVER, ...Object.keys(config.evidenceServers)];
}

/** Throws INVALID_ARGUMENT for a name the registry does not hold (the known ones are listed). */
export function checkEvidenceNames(names: readonly string[], config: EvidenceConfig): void {
  const known = evidenceServerNames(config);
  const unknown = names.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new BrutalistError(
      'INVALID_ARGUMENT',
      `Unknown evidence server(s) in mcp_servers; configured: ${known.join(', ')}.`,
      { data: { field: 'mcp_servers', allowed: known } },
    );
  }
}

/** Where the run's evidence files live: a private folder of the run, and the policy proxy the browser uses. */
export interface EvidenceRunPlace {
  /** The run's private 0700 scratch folder (removed after the run). */
  readonly scratchDir: string;
  /** The URL-policy proxy for the browser; required when `playwright` is among the servers. */
  readonly proxyUrl?: string;
}

/**
 * What the machine's Chromium reads from /etc: Debian's /usr/bin/chromium is a shell wrapper that sources
 * /etc/chromium.d/* (it exits 2 without it, seen under bwrap), its policies, and the font configuration.
 */
const CHROMIUM_SYSTEM_PATHS = ['/etc/chromium.d', '/etc/chromium', '/etc/fonts'];

const playwrightPackage = (): string =>
  dirname(createRequire(import.meta.url).resolve('@playwright/mcp/package.json'));

/**
 * The built-in browser: headless, the machine's Chromium (never a downloaded one), an in-memory profile, every
 * request through the URL-policy proxy (loopback included), no downloads, output in the run's private folder.
 */
function playwrightServer(config: EvidenceConfig, place: EvidenceRunPlace): EvidenceServer {
  if (!place.proxyUrl) throw new BrutalistError('INTERNAL_ERROR', 'The evidence browser needs its proxy.');
  const dir = join(place.scratchDir, 'playwright');
  mkdirSync(join(dir, 'output'), { recursive: true, mode: 0o700 });
  const configPath = join(dir, 'config.json');
  const browserConfig = {
    browser: {
      browserName: 'chromium',
      isolated: true,
      launchOptions: {
        headless: true,
        executablePath: config.playwrightChromiumPath,
        proxy: { server: place.proxyUrl, bypass: '<-loopback>' },
      },
      contextOptions: { acceptDownloads: false, serviceWorkers: 'block' },
    },
    outputDir: join(dir, 'output'),
  };
  writeFileSync(configPath, JSON.stringify(browserConfig), { mode: 0o600 });
  return {
    name: PLAYWRIGHT_SERVER,
    command: process.execPath,
    args: [
      join(playwrightPackage(), 'cli.js'),
      '--config',
      configPath,
      '--ignore-roots',
      '--image-responses',
      'omit',
    ],
    // No browser download, ever: an empty private browsers path and the skip flag.
    env: { PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1', PLAYWRIGHT_BROWSERS_PATH: join(dir, 'browsers') },
    deniedTools: PLAYWRIGHT_DENIED_TOOLS,
    // The node_modules holding it and its playwright packages (hoisted or nested), and the run's own folder.
    readOnly: [
      dirname(dirname(realpathSync(playwrightPackage()))),
      dirname(realpathSync(process.execPath)),
      ...CHROMIUM_SYSTEM_PATHS,
    ],
    // Playwright writes each snapshot there (EROFS under bwrap otherwise).
    writable: [join(dir, 'output')],
    startupTimeoutMs: config.evidenceStartupTimeoutMs,
  };
}

/** The named servers as commands for this run (names already checked). */
export function resolveEvidenceServers(
  names: readonly string[],
  config: EvidenceConfig,
  place: EvidenceRunPlace,
): EvidenceServer[] {
  return [...new Set(names)].map((name) => {
    if (name === PLAYWRIGHT_SERVER) return playwrightServer(config, place);
    const spec = config.evidenceServers[name];
    if (!spec) throw new BrutalistError('INVALID_ARGUMENT', 'Unknown evidence server.', { data: { name } });
    return {
      name,
      command: spec.command,
      args: spec.args,
      env: spec.env,
      deniedTools: [],
      readOnly: [],
      writable: [],
      startupTimeoutMs: config.evidenceStartupTimeoutMs,
    };
  });
}

/** Claude Code's name for a server's tool (or, without `tool`, for all of its tools). */
export const claudeToolName = (server: string, tool?: string): string =>
  tool ? `mcp__${server}__${tool}` : `mcp__${server}`;

/**
 * Claude's per-run MCP config: a 0600 file in the run's private folder (removed with it), and the tool rules
 * that allow only these servers' tools (minus the denied ones).
 */
export function claudeEvidence(
  servers: readonly EvidenceServer[],
  scratchDir: string,
): { configPath: string; allowed: string[]; denied: string[] } {
  const mcpServers = Object.fromEntries(
    servers.map((s) => [s.name, { type: 'stdio', command: s.command, args: s.args, env: s.env }]),
  );
  const configPath = join(scratchDir, 'mcp-config.json');
  writeFileSync(configPath, JSON.stringify({ mcpServers }), { mode: 0o600 });
  return {
    configPath,
    allowed: servers.map((s) => claudeToolName(s.name)),
    denied: servers.flatMap((s) => s.deniedTools.map((t) => claudeToolName(s.name, t))),
  };
}

/** Gemini CLI's name for a server's tool: `mcp_<server>_<tool>`. */
export const geminiToolName = (server: string, tool: string): string => `mcp_${server}_${tool}`;

/**
 * Gemini's per-run MCP configuration. Gemini 0.61 reads MCP servers only from settings files, and a system
 * settings file only when root-owned (ADR 0051), so the run's own settings are the workspace settings of its
 * private empty working folder (fileAccess `none`): `<cwd>/.gemini/settings.json` (0600), trusted for this run
 * only, removed with the folder. The servers are trusted (their calls need no approval, which headless gemini
 * cannot ask for) minus their denied tools; the CLI is told to connect to these names only
 * (`--allowed-mcp-server-names`, so none of the operator's own servers starts). An empty `.gemini/.env` beside
 * it ends gemini's upward `.env` search there: a trusted folder would otherwise take every variable from the
 * first `.gemini/.env` above it (a shared /tmp is writable by anyone).
 */
export function geminiEvidence(servers: readonly EvidenceServer[], cwd: string): { allowedNames: string[] } {
  const dir = join(cwd, '.gemini');
  mkdirSync(dir, { mode: 0o700 });
  const mcpServers = Object.fromEntries(
    servers.map((s) => [
      s.name,
      {
        command: s.command,
        args: s.args,
        env: s.env,
        trust: true,
        ...(s.deniedTools.length > 0 ? { excludeTools: s.deniedTools } : {}),
      },
    ]),
  );
  const settings = { mcpServers, advanced: { ignoreLocalEnv: true } };
  writeFileSync(join(dir, 'settings.json'), JSON.stringify(settings), { mode: 0o600 });
  writeFileSync(join(dir, '.env'), '', { mode: 0o600 });
  return { allowedNames: servers.map((s) => s.name) };
}

/**
 * Codex's per-run override: `-c mcp_servers.<name>.…` flags (TOML values; JSON strings are valid TOML). Each server
 * is `required`: without it `codex exec` 0.169 sends the first request before the servers have listed their tools
 * (measured: no MCP tool offered at all), and with it a server that fails to start fails the run instead of
 * leaving a critique without its evidence. Its tools are pre-approved like claude's `--allowedTools mcp__<name>`
 * (measured: with approval "never", browser_navigate answered "MCP tool call requires approval").
 */
export function codexEvidenceArgs(servers: readonly EvidenceServer[]): string[] {
  const toml = (values: readonly string[]) => `[${values.map((v) => JSON.stringify(v)).join(',')}]`;
  return servers.flatMap((s) => {
    const key = `mcp_servers.${s.name}`;
    const env = Object.entries(s.env).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
    const kvs = [
      `${key}.command=${JSON.stringify(s.command)}`,
      `${key}.args=${toml(s.args)}`,
      `${key}.env={${env.join(',')}}`,
      `${key}.required=true`,
      // Its tools need no approval (exec runs with approval "never", which refuses an MCP call that needs one).
      `${key}.default_tools_approval_mode="approve"`,
      `${key}.startup_timeout_sec=${Math.ceil(s.startupTimeoutMs / 1000)}`,
      ...(s.deniedTools.length > 0 ? [`${key}.disabled_tools=${toml(s.deniedTools)}`] : []),
    ];
    return kvs.flatMap((kv) => ['-c', kv]);
  });
}
