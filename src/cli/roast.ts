/** The terminal roast: one critique through the engine, progress on stderr, the critique (or JSON) on stdout. */
import { readFileSync } from 'node:fs';
import { type Config, CRITIC_NAMES } from '../engine/config.js';
import type { EngineResult, RoastArgs, ToolResponse } from '../engine/index.js';
import { BrutalistError } from '../errors/index.js';
import { buildTools, parseToolArgs } from '../mcp/index.js';
import type { StreamEvent } from '../streaming/index.js';
import { type App, createApp } from '../transport/index.js';
import { parseRoastArgs, ROAST_USAGE } from './roast-args.js';

export { ROAST_USAGE, UsageError } from './roast-args.js';

export interface Terminal {
  readonly cwd: string;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Reads all of stdin (for `--context -`). */
  readonly readStdin: () => string;
}

export const processTerminal = (): Terminal => ({
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  readStdin: () => readFileSync(0, 'utf8'),
});

function ageText(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  return m < 120 ? `${m} min` : `${Math.round(m / 60)} h`;
}

export async function roastCommand(config: Config, args: readonly string[], term: Terminal): Promise<number> {
  const critics = [...CRITIC_NAMES, ...config.routedClients.map((client) => client.id)];
  const parsed = parseRoastArgs(args, term.cwd, term.readStdin, critics);
  if (parsed.help) {
    term.stdout.write(ROAST_USAGE);
    return 0;
  }
  const tool = parseToolArgs('roast', { ...parsed.toolArgs, limit: 100_000 }, buildTools(config));
  if (tool.tool !== 'roast') return 2;
  const named = [
    ...(tool.args.clis ?? []),
    ...(tool.args.clients ?? []).map((client) => String((client as { id: unknown }).id)),
  ];
  const running = named.length > 0 ? named.join(', ') : 'the first available critic';
  // At once, before the state store opens or a critic starts: the user sees the command took.
  term.stderr.write(`brutalist-mcp: roasting ${tool.args.domain} with ${running}… (Ctrl-C cancels)\n`);

  // The user's own directory is the first root (a relative target resolves against it); configured roots stay
  // usable for absolute targets.
  const roots = [term.cwd, ...config.roots];
  const { first, pages } = await inTerminal(config, term, (app, run) =>
    critiqueToEnd(app, tool.args, { roots, ...run }),
  );
  if (first.meta.cached) {
    const age = first.meta.cacheAgeMs === null ? '' : ` ${ageText(first.meta.cacheAgeMs)} ago`;
    term.stderr.write(
      `brutalist-mcp: cache hit: the same request was answered${age} (inputs unchanged); --fresh runs the critics again.\n`,
    );
  }
  if (parsed.json) {
    const text = pages.join('');
    term.stdout.write(`${JSON.stringify({ contextId: first.contextId, text, meta: first.meta })}\n`);
  } else {
    for (const page of pages) term.stdout.write(page);
    term.stdout.write('\n');
  }
  return 0;
}

/**
 * Runs `work` with an app whose critics can be cancelled with Ctrl-C, progress on stderr through the same
 * rate-limited stream an MCP client would get (a heartbeat that says nothing new is not repeated), and shuts the
 * app down after.
 */
export async function inTerminal<T>(
  config: Config,
  term: Terminal,
  work: (app: App, run: { signal: AbortSignal; onEvent: (event: StreamEvent) => void }) => Promise<T>,
): Promise<T> {
  const app = createApp(config);
  const controller = new AbortController();
  const onInterrupt = () => controller.abort();
  process.once('SIGINT', onInterrupt);
  let lastNotice = '';
  const progress = app.streams.open({
    progress: async (notice) => {
      if (notice.message === lastNotice) return;
      lastNotice = notice.message;
      term.stderr.write(`… ${lastNotice}\n`);
    },
  });
  try {
    return await work(app, { signal: controller.signal, onEvent: (event) => progress.push(event) });
  } finally {
    process.off('SIGINT', onInterrupt);
    progress.close();
    await app.shutdown();
  }
}

/**
 * Runs one roast in the terminal to its end and walks every page (the terminal gets the whole critique). There is
 * no client timeout: the engine never answers "running" with an unlimited wait.
 */
export async function critiqueToEnd(
  app: App,
  args: RoastArgs,
  options: { roots: readonly string[]; signal: AbortSignal; onEvent?: (event: StreamEvent) => void },
): Promise<{ first: ToolResponse; pages: string[] }> {
  const ctx = {
    owner: 'local',
    roots: options.roots,
    signal: options.signal,
    waitMs: Number.POSITIVE_INFINITY,
  };
  let response = finished(
    await app.engine.roast(args, { ...ctx, ...(options.onEvent ? { onEvent: options.onEvent } : {}) }),
  );
  const first = response;
  const pages = [response.text];
  while (response.page.nextOffset !== null) {
    response = finished(
      await app.engine.roast(
        { ...args, context_id: response.contextId, offset: response.page.nextOffset, fields: {} },
        ctx,
      ),
    );
    pages.push(response.text);
  }
  return { first, pages };
}

/** A page of the critique; with an unlimited wait the engine answers nothing else (a cancel ends in CANCELLED). */
function finished(result: EngineResult): ToolResponse {
  if (result.status !== 'done') throw new BrutalistError('CANCELLED');
  return result;
}
