#!/usr/bin/env node
/** The command line: no arguments serves MCP on stdio; subcommands for terminal roasts, diagnostics and config. */
import { join } from 'node:path';
import { reviewCommand } from './cli/review.js';
import { reviewPostCommand } from './cli/review-post.js';
import { processTerminal, roastCommand, UsageError } from './cli/roast.js';
import { keysCommand, parseServeArgs } from './cli/serve-args.js';
import { sloCommand } from './cli/slo.js';
import { usageCommand } from './cli/usage.js';
import { workerCommand } from './cli/worker.js';
import { ADAPTERS, type LoginStatus } from './critics/index.js';
import { isCriticName, loadConfig, printableConfig } from './engine/config.js';
import { type ErrorCode, isBrutalistError, toBrutalistError } from './errors/index.js';
import { systemClock, VERSION } from './infra/index.js';
import { causeLine } from './mcp/index.js';
import { sanitizeData, sanitizeText } from './security/index.js';
import { defaultStateDir, SqliteStateStore, STATE_FILE_NAME, selectedBackend } from './state/index.js';
import { createApp, createHealthMonitor, formatChecks, serveHttp, serveStdio } from './transport/index.js';

const HELP = `brutalist-mcp ${VERSION}: brutally honest critiques from the AI coding CLIs on this machine.

Usage:
  brutalist-mcp                     serve MCP over stdio (what MCP clients launch)
  brutalist-mcp serve               same as above
  brutalist-mcp serve --http [--host 127.0.0.1] [--port 7777]
                                    serve MCP over Streamable HTTP at /mcp (API keys: BRUTALIST_API_KEYS_FILE)
  brutalist-mcp keys add NAME --scopes roast[,debate][,admin]
                                    make an API key: prints the token once, appends its hash to the keys file
  brutalist-mcp keys revoke NAME    remove an API key from the keys file
  brutalist-mcp roast <domain> [--target PATH] [--context TEXT | --context-file FILE | --context -]
                    [--cli claude|codex|gemini|agy]... [--model CRITIC=MODEL]... [--fresh] [--json] [--verbose]
                                    one critique in the terminal (progress on stderr; roast --help for more)
  brutalist-mcp review [--base origin/main] [--head HEAD] [--cli CRITIC]... [--focus general|security]
                    [--format markdown|json|sarif] [--fail-on SEVERITY]
                                    the critics review a git change (review --help; exit 3: findings at --fail-on)
  brutalist-mcp review-post REPORT.json --repo OWNER/NAME --pr N
                                    post one pull-request review from \`review --format json\` (GITHUB_TOKEN)
  brutalist-mcp doctor              which critic CLIs are installed, working and logged in (exit 1 if none is ready)
  brutalist-mcp config              print the resolved configuration as JSON
  brutalist-mcp state info          the state store: backend, location, health, entries
  brutalist-mcp state backup FILE   online copy of the SQLite state file (safe while servers run)
  brutalist-mcp slo report [--json] SLOs, error budgets, burn rates and firing alerts (from the state store)
  brutalist-mcp usage [--since 7d] [--json]
                                    usage per caller and UTC day: runs, tokens, cost, what budgets count
  brutalist-mcp worker              run queued critic runs (BRUTALIST_EXECUTION=queue fronts; needs BRUTALIST_REDIS_URL)
  brutalist-mcp --help | --version

Configuration: BRUTALIST_* environment variables and an optional JSON file
($BRUTALIST_CONFIG or $XDG_CONFIG_HOME/brutalist-mcp/config.json). See the README for every option.
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (command === 'serve' && rest.length > 0) {
    const serve = parseServeArgs(rest);
    await serveHttp(loadConfig(process.env, serve.overrides));
    return -1; // keeps running until SIGINT/SIGTERM
  }
  const config = loadConfig(process.env);
  switch (command) {
    case undefined:
    case 'serve':
      await serveStdio(config);
      return -1; // keeps running until the client disconnects
    case 'keys':
      return keysCommand(config, rest, process.stdout, process.stderr);
    case 'doctor':
      return doctor(config);
    case 'config':
      // Secrets (cursorSecret, the Redis password) print as `<set>`: this output lands in bug reports.
      process.stdout.write(`${JSON.stringify(printableConfig(config), null, 2)}\n`);
      return 0;
    case 'state':
      return stateCommand(config, rest);
    case 'roast':
      return roastCommand(config, rest, processTerminal());
    case 'review':
      return reviewCommand(config, rest, processTerminal());
    case 'review-post':
      return reviewPostCommand(config, rest, process.stdout, process.stderr);
    case 'slo':
      return sloCommand(config, rest, process.stdout, process.stderr);
    case 'usage':
      return usageCommand(config, rest, process.stdout, process.stderr);
    case 'worker':
      return workerCommand(config, process.stderr);
    default:
      process.stderr.write(`Unknown command ${JSON.stringify(command)}.\n\n${HELP}`);
      return 2;
  }
}

async function doctor(config: ReturnType<typeof loadConfig>): Promise<number> {
  const app = createApp(config);
  try {
    // Login checks share the availability probes' cache: one bounded status run or file read per installed critic.
    const [roster, logins] = await Promise.all([app.engine.roster(), app.logins.checkAll()]);
    const login = new Map<string, LoginStatus>(logins.map((l) => [l.critic, l]));
    for (const c of roster) {
      const state = c.available
        ? `ok      ${(c.version ?? '').padEnd(8)} ${loginLine(login.get(c.critic))}`
        : `missing ${c.error ?? ''}`;
      process.stdout.write(`${c.critic.padEnd(7)} ${state}\n`);
      // The file every run of this critic spawns (resolved from absolute PATH entries only).
      if (c.path) process.stdout.write(`        binary ${c.path}\n`);
      if (c.note) process.stdout.write(`        note ${c.note}\n`);
      const warnings =
        c.available && isCriticName(c.critic) ? (ADAPTERS[c.critic].doctorWarnings?.(config) ?? []) : [];
      for (const warning of warnings) process.stdout.write(`        WARNING ${warning}\n`);
    }
    const sandbox = await app.engine.sandbox();
    process.stdout.write(`sandbox: ${sandbox.mode} (${sandbox.note})\n`);
    process.stdout.write(`preference: ${config.criticPreference.join(' > ')}\n`);
    const state = await app.engine.stateHealth();
    process.stdout.write(
      `state:   ${state.backend} ${state.status}${state.detail ? ` (${state.detail})` : ''}\n`,
    );
    // The checks /readyz reports, from the same module.
    const health = createHealthMonitor(config, app, systemClock);
    process.stdout.write(formatChecks((await health.dependencies()).checks));
    health.close();
    // Ready: installed and not known to be logged out (an unknown login may still work).
    return roster.some((c) => c.available && login.get(c.critic)?.loggedIn !== false) ? 0 : 1;
  } finally {
    await app.shutdown();
  }
}

function loginLine(status: LoginStatus | undefined): string {
  if (!status) return '';
  if (status.loggedIn === true) return `logged in: ${status.method}`;
  if (status.loggedIn === false) return `NOT logged in: ${status.fix}`;
  return `login unknown${status.method ? ` (${status.method})` : ''}: ${status.fix}`;
}

async function stateCommand(config: ReturnType<typeof loadConfig>, args: string[]): Promise<number> {
  const [sub, file] = args;
  const backend = selectedBackend(config);
  if (sub === 'info') {
    const app = createApp(config);
    try {
      const state = await app.engine.stateHealth();
      const where =
        backend === 'sqlite' ? join(defaultStateDir(config, process.env), STATE_FILE_NAME) : backend;
      process.stdout.write(`${JSON.stringify({ ...state, location: where }, null, 2)}\n`);
      return state.status === 'ok' ? 0 : 1;
    } finally {
      await app.shutdown();
    }
  }
  if (sub === 'backup' && file) {
    if (backend !== 'sqlite') {
      process.stderr.write(
        'state backup copies the SQLite file; back up Redis with its own tools (docs/operations.md).\n',
      );
      return 2;
    }
    const store = new SqliteStateStore({
      dir: defaultStateDir(config, process.env),
      maxBytes: config.stateMaxBytes,
      maxEntries: config.stateMaxEntries,
      cacheMaxEntryBytes: config.cacheMaxEntryBytes,
    });
    try {
      await store.backup(file);
      process.stdout.write(`state backed up to ${file}\n`);
      return 0;
    } finally {
      await store.close();
    }
  }
  process.stderr.write(`Usage: brutalist-mcp state info | state backup FILE\n`);
  return 2;
}

/** Codes that mean the command line or its input was wrong (exit 2); everything else failed while running (exit 1). */
const BAD_INPUT = new Set<ErrorCode>([
  'CONFIG_INVALID',
  'INVALID_ARGUMENT',
  'INPUT_TOO_LARGE',
  'PATH_INVALID',
  'PATH_NOT_FOUND',
  'PATH_NOT_REGULAR',
  'PATH_OUTSIDE_ROOT',
  'GIT_REPO_NOT_FOUND',
  'GIT_REF_INVALID',
  'ROUTED_CLIENT_INVALID',
  'ROUTED_TOKEN_ENV_REFUSED',
]);

main(process.argv.slice(2)).then(
  (code) => {
    // stdout to a pipe is asynchronous: exit only after everything written so far has been flushed.
    if (code >= 0) process.stdout.write('', () => process.exit(code));
  },
  (err: unknown) => {
    if (err instanceof UsageError) {
      process.stderr.write(
        `brutalist-mcp ${err.command}: ${err.message}\nRun \`brutalist-mcp ${err.command} --help\` for usage.\n`,
      );
      process.exit(2);
    }
    const error = toBrutalistError(err);
    const scope = { roots: [process.cwd()], env: process.env };
    const message = sanitizeText(error.message, scope);
    process.stderr.write(`brutalist-mcp: ${error.code}: ${message}\n`);
    // The same cause line a tool result ends with (ADR 0030): the exit class and the critic's own words.
    const cause = causeLine(sanitizeData({ ...error.data }, scope));
    if (cause) process.stderr.write(`Cause: ${cause}\n`);
    if (!isBrutalistError(err) && process.env.BRUTALIST_DEBUG)
      process.stderr.write(`${String((err as Error)?.stack)}\n`);
    if (error.code === 'PATH_OUTSIDE_ROOT') {
      process.stderr.write(
        'The terminal allows paths under the current directory and BRUTALIST_ROOTS: cd there first.\n',
      );
    }
    process.exit(BAD_INPUT.has(error.code) ? 2 : 1);
  },
);
