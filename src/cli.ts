#!/usr/bin/env node
/** The command line: no arguments serves MCP on stdio; subcommands for terminal roasts, diagnostics and config. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CRITIC_NAMES, type CriticName, loadConfig, printableConfig } from './config/index.js';
import type { EngineResult, ToolResponse } from './engine/index.js';
import { BrutalistError, isBrutalistError, toBrutalistError } from './errors/index.js';
import { VERSION } from './infra/index.js';
import { parseToolArgs } from './mcp/index.js';
import { sanitizeText } from './security/index.js';
import { defaultStateDir, SqliteStateStore, STATE_FILE_NAME, selectedBackend } from './state/index.js';
import { createApp, serveStdio } from './transport/index.js';

const HELP = `brutalist-mcp ${VERSION}: brutally honest critiques from the AI coding CLIs on this machine.

Usage:
  brutalist-mcp                     serve MCP over stdio (what MCP clients launch)
  brutalist-mcp serve               same as above
  brutalist-mcp roast <domain> [--target PATH] [--context TEXT | --context-file FILE | --context -]
                    [--cli claude|codex|gemini]... [--model CRITIC=MODEL]... [--json] [--verbose]
                                    one critique in the terminal (progress on stderr)
  brutalist-mcp doctor              which critic CLIs are installed and working (exit 1 if none)
  brutalist-mcp config              print the resolved configuration as JSON
  brutalist-mcp state info          the state store: backend, location, health, entries
  brutalist-mcp state backup FILE   online copy of the SQLite state file (safe while servers run)
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
  const config = loadConfig(process.env);
  switch (command) {
    case undefined:
    case 'serve':
      await serveStdio(config);
      return -1; // keeps running until the client disconnects
    case 'doctor':
      return doctor(config);
    case 'config':
      // Secrets (cursorSecret, the Redis password) print as `<set>`: this output lands in bug reports.
      process.stdout.write(`${JSON.stringify(printableConfig(config), null, 2)}\n`);
      return 0;
    case 'state':
      return stateCommand(config, rest);
    case 'roast':
      return roast(config, rest);
    default:
      process.stderr.write(`Unknown command ${JSON.stringify(command)}.\n\n${HELP}`);
      return 2;
  }
}

async function doctor(config: ReturnType<typeof loadConfig>): Promise<number> {
  const app = createApp(config);
  try {
    const roster = await app.engine.roster();
    for (const c of roster) {
      const state = c.available ? `ok      ${c.version ?? ''}` : `missing ${c.error ?? ''}`;
      process.stdout.write(`${c.critic.padEnd(7)} ${state}\n`);
    }
    process.stdout.write(`preference: ${config.criticPreference.join(' > ')}\n`);
    const state = await app.engine.stateHealth();
    process.stdout.write(
      `state:   ${state.backend} ${state.status}${state.detail ? ` (${state.detail})` : ''}\n`,
    );
    return roster.some((c) => c.available) ? 0 : 1;
  } finally {
    await app.shutdown();
  }
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

async function roast(config: ReturnType<typeof loadConfig>, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      target: { type: 'string' },
      context: { type: 'string' },
      'context-file': { type: 'string' },
      cli: { type: 'string', multiple: true },
      model: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      verbose: { type: 'boolean' },
    },
  });
  let context = values.context;
  if (context === '-') context = readFileSync(0, 'utf8');
  if (values['context-file']) context = readFileSync(values['context-file'], 'utf8');
  const models: Partial<Record<CriticName, string>> = {};
  for (const pair of values.model ?? []) {
    const [critic, model] = pair.split('=', 2);
    if (critic && model && (CRITIC_NAMES as readonly string[]).includes(critic))
      models[critic as CriticName] = model;
  }
  const parsed = parseToolArgs('roast', {
    domain: positionals[0],
    target: values.target,
    context,
    clis: values.cli,
    models: Object.keys(models).length > 0 ? models : undefined,
    verbose: values.verbose,
    limit: 100_000,
  });
  if (parsed.tool !== 'roast') return 2;
  const app = createApp(config);
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  // Progress goes to stderr through the same rate-limited stream an MCP client would get.
  const progress = app.streams.open({
    progress: async (notice) => {
      process.stderr.write(`… ${notice.message}\n`);
    },
  });
  try {
    // The terminal has no client timeout: wait until the critique is done (never a "running" answer).
    let response = finished(
      await app.engine.roast(parsed.args, {
        owner: 'local',
        roots: config.roots.length > 0 ? config.roots : [process.cwd()],
        signal: controller.signal,
        waitMs: Number.POSITIVE_INFINITY,
        onEvent: (event) => progress.push(event),
      }),
    );
    progress.close();
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ contextId: response.contextId, meta: response.meta, page: response.page })}\n`,
      );
    }
    process.stdout.write(response.text);
    // The terminal gets the whole critique: walk the pages.
    while (response.page.nextOffset !== null) {
      response = finished(
        await app.engine.roast(
          { ...parsed.args, context_id: response.contextId, offset: response.page.nextOffset, fields: {} },
          { owner: 'local', roots: [], signal: controller.signal, waitMs: Number.POSITIVE_INFINITY },
        ),
      );
      process.stdout.write(response.text);
    }
    process.stdout.write('\n');
    return 0;
  } finally {
    progress.close();
    await app.shutdown();
  }
}

/** A page of the critique; with an unlimited wait the engine answers nothing else (a cancel ends in CANCELLED). */
function finished(result: EngineResult): ToolResponse {
  if (result.status !== 'done') throw new BrutalistError('CANCELLED');
  return result;
}

main(process.argv.slice(2)).then(
  (code) => {
    // stdout to a pipe is asynchronous: exit only after everything written so far has been flushed.
    if (code >= 0) process.stdout.write('', () => process.exit(code));
  },
  (err: unknown) => {
    const error = toBrutalistError(err);
    const message = sanitizeText(error.message, { roots: [process.cwd()], env: process.env });
    process.stderr.write(`brutalist-mcp: ${error.code}: ${message}\n`);
    if (!isBrutalistError(err) && process.env.BRUTALIST_DEBUG)
      process.stderr.write(`${String((err as Error)?.stack)}\n`);
    process.exit(error.code === 'CONFIG_INVALID' || error.code === 'INVALID_ARGUMENT' ? 2 : 1);
  },
);
