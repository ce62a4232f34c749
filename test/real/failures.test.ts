// Real binaries, failure paths: HTTP errors, a dropped or refused connection, a stream that stalls and a client
// that cancels — each ends by our own deadline or watchdog with a clear code, and no critic process survives it.
import { copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { GEMINI_SYSTEM_DEFAULTS_PATH } from '../../src/critics/index.js';
import type { RealCritic } from '../support/real-clis.js';
import {
  callTool,
  connectRealServer,
  criticGroups,
  errorOf,
  groupMembers,
  INSTALL_TIMEOUT_MS,
  makeRealSandbox,
  REAL_TEST_TIMEOUT_MS,
  type RealSandbox,
  type RealServer,
  realServerEnv,
  requireRealClis,
  textOf,
  waitUntil,
} from '../support/real-clis.js';
import { refusedUrl, type StubApi, StubModelServer, type StubScript } from '../support/stub-model/index.js';

// Real CLIs on a busy 2-core machine: generous per-test limits; our own deadlines are what the tests check.
vi.setConfig({ testTimeout: REAL_TEST_TIMEOUT_MS });

const CRITICS = ['claude', 'codex', 'gemini'] as const;
const API: Record<RealCritic, StubApi> = { claude: 'anthropic', codex: 'openai', gemini: 'gemini' };
/** Short enough to keep the group fast, long enough for a cold gemini start on a loaded 2-core machine. */
const STALL_MS = 6_000;

let bins: Record<RealCritic, string>;
let stub: StubModelServer;
let seq = 0;
const marker = (label: string) => `FAIL-${label}-${process.pid}-${++seq}`;
/** Servers (and their sandboxes) of this file; each test that checks process groups has its own. */
const opened: Array<{ server: RealServer; sandbox: RealSandbox }> = [];

async function startServer(extra: Record<string, string> = {}, url?: string): Promise<RealServer> {
  const sandbox = makeRealSandbox();
  const server = await connectRealServer(
    realServerEnv(sandbox, bins, url ? { url } : stub, extra),
    sandbox.project,
  );
  opened.push({ server, sandbox });
  return server;
}

beforeAll(async () => {
  bins = await requireRealClis();
  stub = await StubModelServer.start();
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  for (const { server, sandbox } of opened) {
    await server.close();
    sandbox.cleanup();
  }
  await stub?.close();
});

/** Watches the server's critic process groups while `work` runs; returns every group seen. */
async function watchingGroups<T>(
  serverPid: number,
  work: Promise<T>,
): Promise<{ value: T; groups: Set<number> }> {
  const groups = new Set<number>();
  let done = false;
  const watcher = (async () => {
    while (!done) {
      for (const g of criticGroups(serverPid)) groups.add(g);
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  try {
    return { value: await work, groups };
  } finally {
    done = true;
    await watcher;
  }
}

/**
 * gemini with a named model skips its model router (a `generateContent` call that retries 429s and refused
 * connections with backoff, ignoring maxAttempts); the router path has its own test below.
 */
const FAIL_FAST_MODELS = { gemini: 'gemini-2.5-pro' };

/**
 * What a failed critic run answered, compared whole so a failure prints why (exit class, the CLI's own words) and
 * whether the CLI reached the stub at all.
 */
interface Outcome {
  critic: RealCritic;
  code: string | undefined;
  data: Record<string, unknown> | undefined;
  requests: number;
}

/** One roast per critic, all at once, each scripted by its own marker. */
async function roastEach(
  target: RealServer,
  script: StubScript,
  label: string,
  models: Record<string, string> = FAIL_FAST_MODELS,
): Promise<Array<[RealCritic, CallToolResult, Outcome]>> {
  return Promise.all(
    CRITICS.map(async (critic): Promise<[RealCritic, CallToolResult, Outcome]> => {
      const mark = marker(`${label}-${critic}`);
      stub.when(mark, script, API[critic]);
      const result = await callTool(target.client, 'roast', {
        domain: 'idea',
        context: `An idea. ${mark}`,
        clis: [critic],
        ...(models[critic] ? { models: { [critic]: models[critic] } } : {}),
      });
      const error = errorOf(result);
      const outcome = {
        critic,
        code: error?.code,
        data: error?.data,
        requests: stub.requestsWith(mark).length,
      };
      return [critic, result, outcome];
    }),
  );
}

describe('HTTP errors from the model API', () => {
  let server: RealServer;
  beforeAll(async () => {
    server = await startServer();
  });

  it('429 → RATE_LIMITED for every critic', async () => {
    const results = await roastEach(
      server,
      { status: 429, errorMessage: 'Rate limit reached; slow down.' },
      '429',
    );
    for (const [critic, , outcome] of results) {
      expect(outcome).toMatchObject({ critic, code: 'RATE_LIMITED', data: { critic } });
    }
  });

  it('500 → CLI_FAILED for every critic', async () => {
    const results = await roastEach(server, { status: 500, errorMessage: 'Internal server error' }, '500');
    for (const [critic, , outcome] of results) expect(outcome).toMatchObject({ critic, code: 'CLI_FAILED' });
  });

  it('a connection dropped mid-stream is a retryable failure, never a success or a hang', async () => {
    const results = await roastEach(server, { closeAfterChars: 30, chunkChars: 10 }, 'drop');
    for (const [critic, result, outcome] of results) {
      expect(outcome).toMatchObject({
        critic,
        code: expect.stringMatching(/^(CLI_FAILED|MODEL_API_UNREACHABLE)$/),
      });
      expect(result.structuredContent).toMatchObject({ error: { retryable: true } });
    }
  });
});

// These run concurrently: most of their time is spent waiting on a watchdog or deadline. Each has a server of
// its own, so the process groups it checks are only its own critics'.
describe.concurrent('runs only our watchdogs and deadlines can end', () => {
  it('a stream that stalls mid-answer is stopped by the stall watchdog (CLI_STALLED), no process left', async () => {
    const server = await startServer({ BRUTALIST_STALL_TIMEOUT_MS: String(STALL_MS) });
    const { value: results, groups } = await watchingGroups(
      server.pid,
      roastEach(server, { stallAfterChars: 20, chunkChars: 10 }, 'stall'),
    );
    for (const [critic, , outcome] of results) {
      expect(outcome).toMatchObject({ critic, code: 'CLI_STALLED', data: { exitClass: 'stalled' } });
    }
    expect(groups.size).toBeGreaterThanOrEqual(3);
    expect(await waitUntil(() => groupMembers(groups).length === 0, 2_000)).toBe(true);
  });

  it("429 on gemini's default model: its router retries until our stall watchdog stops it → RATE_LIMITED", async () => {
    // Long enough for gemini to start on a loaded machine and log its first failed attempt.
    const server = await startServer({ BRUTALIST_STALL_TIMEOUT_MS: '15000' });
    const mark = marker('router-429');
    stub.when(mark, { status: 429 }, 'gemini');
    const result = await callTool(server.client, 'roast', {
      domain: 'idea',
      context: `An idea. ${mark}`,
      clis: ['gemini'],
    });
    expect(errorOf(result)?.code).toBe('RATE_LIMITED');
    expect(errorOf(result)?.data.exitClass).toBe('stalled');
    expect(stub.requestsWith(mark).every((r) => r.url.includes(':generateContent'))).toBe(true);
    expect(stub.requestsWith(mark).length).toBeGreaterThanOrEqual(2);
  });

  it('a model API nobody answers: every critic ends by our deadline (MODEL_API_UNREACHABLE), no process left', async () => {
    // Codex retries a refused connection forever, so our deadline is what ends its run.
    // 20 s: gemini must start and log its first failed attempt first, also on a loaded machine.
    const server = await startServer({ BRUTALIST_CLI_TIMEOUT_MS: '20000' }, await refusedUrl());
    const run = Promise.all(
      CRITICS.map(async (critic) => {
        const result = await callTool(server.client, 'roast', {
          domain: 'idea',
          context: `Nobody home. ${marker(`down-${critic}`)}`,
          clis: [critic],
        });
        return [critic, result] as const;
      }),
    );
    const { value: results, groups } = await watchingGroups(server.pid, run);
    for (const [critic, result] of results) {
      expect([critic, errorOf(result)?.code]).toEqual([critic, 'MODEL_API_UNREACHABLE']);
    }
    const codex = results.find(([c]) => c === 'codex')![1];
    expect(errorOf(codex)?.data.exitClass).toBe('timeout');
    expect(errorOf(codex)?.data.detail).toMatch(/waiting for network/);
    expect(groups.size).toBeGreaterThanOrEqual(3);
    expect(await waitUntil(() => groupMembers(groups).length === 0, 2_000)).toBe(true);
  });

  it('a client that cancels mid-run gets every critic process group killed within 2 s', async () => {
    const server = await startServer();
    const controllers = CRITICS.map(() => new AbortController());
    const marks = CRITICS.map((critic) => marker(`cancel-${critic}`));
    const pending = CRITICS.map((critic, i) => {
      stub.when(marks[i]!, { stallAfterChars: 0 }, API[critic]);
      return callTool(
        server.client,
        'roast',
        { domain: 'idea', context: `Cancel me. ${marks[i]}`, clis: [critic] },
        { signal: controllers[i]!.signal },
      ).catch((err: unknown) => err);
    });
    // Every CLI is mid-request: the stub holds its stream open. Reaching the stream is setup, not what is tested:
    // after the earlier tests of this file gemini took 27.7 s to get there (router call first; 7.4 s alone), so
    // the limit is generous; the 2 s kill below is the claim.
    const arrived = () => marks.every((m) => stub.requestsWith(m).some((r) => r.stream));
    expect(await waitUntil(arrived, 90_000)).toBe(true);
    const groups = criticGroups(server.pid);
    expect(groups.size).toBeGreaterThanOrEqual(3);
    for (const c of controllers) c.abort();
    await Promise.all(pending);
    expect(await waitUntil(() => groupMembers(groups).length === 0, 2_000)).toBe(true);

    // The server is fine afterwards.
    const ok = await callTool(server.client, 'roast', {
      domain: 'idea',
      context: `Again. ${marker('after-cancel')}`,
      clis: ['codex'],
    });
    expect(errorOf(ok)).toBeUndefined();
    expect(textOf(ok)).toContain('STUB-CRITIQUE');
  });

  it('gemini is WORKSPACE_UNTRUSTED (fails closed) when it skips a system defaults file in a world-writable folder', async () => {
    // Gemini reads a system file only when it and its folders are root-owned and not group/world-writable.
    const insecure = join(tmpdir(), `brutalist-gemini-defaults-${process.pid}.json`);
    copyFileSync(GEMINI_SYSTEM_DEFAULTS_PATH, insecure);
    const server = await startServer({ BRUTALIST_GEMINI_SYSTEM_DEFAULTS_PATH: insecure });
    const result = await callTool(server.client, 'roast', {
      domain: 'idea',
      context: `Trust me. ${marker('untrusted')}`,
      clis: ['gemini'],
    });
    expect(errorOf(result)?.code).toBe('WORKSPACE_UNTRUSTED');
  });
});
