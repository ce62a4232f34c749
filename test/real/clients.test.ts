// Real MCP clients (Claude Code 2.1.197 and 2.1.332, Codex, Gemini CLI) call the built server (fake critics)
// for a scripted stub model; the tests read the model's requests to see exactly what it received.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  CLIENTS,
  type ClientProfile,
  type ClientRun,
  requireRealClients,
  type Seen,
} from '../support/real-clients.js';
import { INSTALL_TIMEOUT_MS } from '../support/real-clis.js';
import { StubModelServer } from '../support/stub-model/index.js';

// A client session is several model turns and MCP calls, with server starts, on a loaded 2-core machine.
vi.setConfig({ testTimeout: 240_000 });

let stub: StubModelServer;
beforeAll(async () => {
  await requireRealClients();
  stub = await StubModelServer.start();
}, INSTALL_TIMEOUT_MS);
afterAll(async () => {
  await stub?.close();
});

/** Filler words without any marker in them, so a page boundary is the only thing that hides a marker. */
const filler = (chars: number) =>
  'the retry budget hides the queue backlog and nobody measured it '
    .repeat(Math.ceil(chars / 64))
    .slice(0, chars);

/** `"key": "value"` for any of `keys`, also inside a JSON string (where the quotes are escaped). */
const jsonValueIn = (text: string, keys: string) =>
  new RegExp(`\\\\?"(?:${keys})\\\\?"\\s*:\\s*\\\\?"([^"\\\\]+)`).exec(text)?.[1];
/** The cursor a model can read in a result: in the call hint of the text or in the page metadata. */
const cursorIn = (text: string) => jsonValueIn(text, 'cursor|nextCursor');
/** The context id a pending result asks the model to come back with. */
const contextIdIn = (text: string) => jsonValueIn(text, 'context_id|contextId');

const roastCalls = (run: ClientRun) => run.seen.filter((s) => s.tool === 'roast');
const clip = (s: string, n: number) => (s.length > n ? `${s.slice(0, n)}…(${s.length} chars)` : s);
/** Shown when an assertion fails: what the model received, call by call. */
const received = (seen: readonly Seen[]) =>
  seen
    .map((s, i) => `#${i} ${s.tool} ${clip(JSON.stringify(s.input), 160)}\n${clip(s.text, 2_000)}`)
    .join('\n\n');

describe.each(CLIENTS)('$id as the MCP client', (client: ClientProfile) => {
  // Upper case only: a mixed-case marker with digits after `text=` reads as a high-entropy secret assignment and
  // the server's input redaction (rightly) blanks it before the critic sees it.
  const tag = client.id.replace(/[^a-z0-9]/gi, '').toUpperCase();
  const PAGE1 = `PAGEONE-${tag}-${process.pid}`;
  const PAGE2 = `PAGETWO-${tag}-${process.pid}`;
  const SLOW = `SLOWCRIT-${tag}-${process.pid}`;
  // One line (a fake-critic knob): page 1 marker, ~1.5k chars, page 2 marker, then enough for a third page.
  const LONG = `${PAGE1} ${filler(1_400)} ${PAGE2} ${filler(2_500)}`;

  // One session: a long critique with a small page, the next page by cursor, then a path outside the roots.
  let session: Promise<ClientRun> | undefined;
  const paged = () => {
    session ??= client.run({
      stub,
      script: (seen) => {
        if (seen.length === 0) {
          return {
            tool: 'roast',
            input: {
              domain: 'idea',
              context: `A to-do app for cats.\n@@fake text=${LONG}`,
              clis: ['claude'],
              limit: 1_000,
            },
          };
        }
        if (seen.length === 1) {
          // Exactly the follow-up the first result tells the model to make.
          const cursor = cursorIn(seen[0]!.text);
          return cursor
            ? { tool: 'roast', input: { cursor } }
            : { tool: 'roast', input: { cursor: 'NO-CURSOR-SEEN' } };
        }
        if (seen.length === 2) return { tool: 'roast', input: { domain: 'codebase', target: '/etc' } };
        return { text: 'Done.' };
      },
    });
    return session;
  };

  it('lists roast in the tools of the model request and calls it', async () => {
    const run = await paged();
    expect(run.timedOut, run.stderr).toBe(false);
    expect(
      run.offered.some((tools) => tools.includes(client.offeredName('roast'))),
      JSON.stringify(run.offered),
    ).toBe(true);
    expect(roastCalls(run)).toHaveLength(3);
    expect(run.exitCode, run.stderr).toBe(0);
  });

  it('hands the model the critique text in the tool result', async () => {
    const run = await paged();
    const first = roastCalls(run)[0];
    expect(first?.text, received(run.seen)).toContain(PAGE1);
  });

  it('fetches page 2 with only the cursor the result gave, and the model reads page-2 text', async () => {
    const run = await paged();
    const second = roastCalls(run)[1];
    expect(second?.input, received(run.seen)).toEqual({ cursor: expect.not.stringMatching(/^NO-CURSOR/) });
    expect(second?.text, received(run.seen)).toContain(PAGE2);
    expect(second?.text).not.toContain(PAGE1);
  });

  it('hands the model a path-outside-roots error as readable text with its code', async () => {
    const run = await paged();
    const third = roastCalls(run)[2];
    expect(third?.text, received(run.seen)).toContain('PATH_OUTSIDE_ROOT');
    expect(third?.text).toMatch(/outside/i);
  });

  it('gets a critique slower than its own tool timeout through the pending result and a context_id wait', async () => {
    const MAX_WAITS = 10;
    const run = await client.run({
      stub,
      // The client gives up on a tool call after 12 s; the server answers pending after 6 s; the critic takes 22 s.
      // Gemini CLI ends the turn at the 5th identical call in a row (its loop detector), so the critique must come
      // within 4 waits: 6 s + 4 × 6 s = 30 s of cover for a 22 s critique (a slow machine only adds to the delay).
      toolTimeoutMs: 12_000,
      serverEnv: { BRUTALIST_WAIT_MS: '6000' },
      script: (seen) => {
        if (seen.length === 0) {
          return {
            tool: 'roast',
            input: {
              domain: 'idea',
              context: `A to-do app for cats.\n@@fake delay_ms=22000\n@@fake text=${SLOW} the cats revolt.`,
              clis: ['claude'],
            },
          };
        }
        const last = seen.at(-1)!.text;
        const contextId = contextIdIn(last);
        if (last.includes(SLOW) || !contextId || seen.length > MAX_WAITS) return { text: 'Done.' };
        return { tool: 'roast', input: { context_id: contextId } };
      },
    });
    const calls = roastCalls(run);
    const log = received(run.seen);
    expect(run.timedOut, run.stderr).toBe(false);
    expect(calls[0]?.text, log).toMatch(/running|pending|not finished/i);
    expect(calls[0]?.text, log).not.toContain(SLOW);
    expect(calls.length, log).toBeGreaterThan(1);
    for (const wait of calls.slice(1))
      expect(wait.input).toEqual({ context_id: contextIdIn(calls[0]!.text) });
    expect(calls.at(-1)?.text, log).toContain(SLOW);
  });
});
