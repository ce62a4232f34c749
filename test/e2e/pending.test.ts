// Long critiques over stdio: a short waitMs, slow fake critics; pending → wait → done, cancel, deadline, errors, restarts.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import { isAlive, readLog, waitFor } from '../support/harness.js';
import { stdioPerTest } from '../support/stdio-per-test.js';

const servers = stdioPerTest('brutalist-pending-', {
  BRUTALIST_WAIT_MS: '300',
  BRUTALIST_LOCK_TTL_MS: '1000',
});
/** The built server with a short wait. */
const start = servers.start;

async function call(
  client: Client,
  name: string,
  args: Record<string, unknown>,
  meta?: Record<string, unknown>,
): Promise<CallToolResult> {
  return (await client.callTool({
    name,
    arguments: args,
    ...(meta ? { _meta: meta } : {}),
  })) as CallToolResult;
}

const text = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
const structured = (r: CallToolResult) => r.structuredContent as Record<string, unknown> & { status: string };

/** The wait call the pending text names, parsed from what the model reads. */
function waitCall(r: CallToolResult): { tool: string; args: Record<string, unknown> } {
  const m = /To get it, call `(\w+)` with `(\{[^`]+\})`/.exec(text(r));
  expect(m).not.toBeNull();
  return { tool: m![1]!, args: JSON.parse(m![2]!) as Record<string, unknown> };
}

/** Makes the call the text names until the answer is no longer "running" (bounded: never a hang). */
async function waitUntilDone(
  client: Client,
  pending: CallToolResult,
  onprogress?: () => void,
): Promise<CallToolResult[]> {
  const answers: CallToolResult[] = [];
  let last = pending;
  for (let i = 0; i < 200 && structured(last).status === 'running'; i++) {
    const next = waitCall(last);
    last = (await client.callTool(
      { name: next.tool, arguments: next.args },
      undefined,
      onprogress ? { onprogress } : undefined,
    )) as CallToolResult;
    answers.push(last);
  }
  return answers;
}

const slow = (ms: number, more = '') => `A slow idea.\n@@fake delay_ms=${ms}\n${more}`;

describe('a critique slower than waitMs', () => {
  it('answers running at once, then the named wait call returns the critique', async () => {
    const { client } = await start();
    const first = await call(client, 'roast', { domain: 'idea', context: slow(2_500), clis: ['claude'] });
    expect(first.isError).toBeFalsy();
    const s = structured(first);
    expect(s).toMatchObject({ status: 'running', tool: 'roast' });
    expect(Object.keys(s)[0]).toBe('text');
    expect(s.text).toBe(text(first));
    expect(typeof s.contextId).toBe('string');
    // The server held the call for waitMs (300) before answering "running" (a few ms of timer granularity aside).
    expect(s.elapsedMs).toBeGreaterThanOrEqual(295);
    expect(waitCall(first)).toEqual({ tool: 'roast', args: { context_id: s.contextId } });
    let progress = 0;
    const answers = await waitUntilDone(client, first, () => progress++);
    const done = answers.at(-1)!;
    // Whoever waits hears the run's progress.
    expect(progress).toBeGreaterThan(0);
    expect(structured(done)).toMatchObject({ status: 'done', contextId: s.contextId });
    expect(text(done)).toContain('FAKE-CLAUDE CRITIQUE');
    // Every intermediate answer was "running" for the same critique.
    for (const a of answers.slice(0, -1))
      expect(structured(a)).toMatchObject({ status: 'running', contextId: s.contextId });
  });

  it('works the same for debates', async () => {
    const { client } = await start();
    const first = await call(client, 'roast_cli_debate', {
      topic: slow(1_500),
      proPosition: 'yes',
      conPosition: 'no',
      agents: ['claude', 'codex'],
    });
    expect(structured(first)).toMatchObject({ status: 'running', tool: 'roast_cli_debate' });
    expect(waitCall(first).tool).toBe('roast_cli_debate');
    const done = (await waitUntilDone(client, first)).at(-1)!;
    expect(structured(done)).toMatchObject({ status: 'done', tool: 'roast_cli_debate' });
  });

  it('is stopped by an explicit cancel: cancelled answer, critic killed, later waits say cancelled', async () => {
    const { client } = await start();
    const first = await call(client, 'roast', {
      domain: 'idea',
      context: 'Hang.\n@@fake hang=1',
      clis: ['codex'],
    });
    const contextId = structured(first).contextId as string;
    expect(
      await waitFor(() => readLog(servers.sandbox.log).some((l) => l.stdin.includes('Hang.')), 10_000),
    ).toBe(true);
    const pid = readLog(servers.sandbox.log).find((l) => l.stdin.includes('Hang.'))!.pid;
    const cancelled = await call(client, 'roast', { context_id: contextId, cancel: true });
    expect(cancelled.isError).toBeFalsy();
    expect(structured(cancelled)).toMatchObject({ status: 'cancelled', contextId });
    expect(await waitFor(() => !isAlive(pid), 10_000)).toBe(true);
    const later = await call(client, 'roast', { context_id: contextId });
    expect(structured(later)).toMatchObject({ status: 'cancelled' });
  });

  it('is stopped by its deadline (_meta.timeoutMs): the next wait gets DEADLINE_EXCEEDED', async () => {
    const { client } = await start();
    const first = await call(
      client,
      'roast',
      { domain: 'idea', context: 'Hang.\n@@fake hang=1', clis: ['claude'] },
      { timeoutMs: 1_500 },
    );
    expect(structured(first).status).toBe('running');
    const last = (await waitUntilDone(client, first)).at(-1)!;
    expect(last.isError).toBe(true);
    expect(structured(last)).toMatchObject({ status: 'error', error: { code: 'DEADLINE_EXCEEDED' } });
  });

  it('hands a failure after the pending answer to the next wait as the usual error result', async () => {
    const { client } = await start();
    const direct = await call(client, 'roast', {
      domain: 'idea',
      context: 'Fails at once.\n@@fake error=auth',
      clis: ['claude'],
    });
    // It may outlast the 300 ms wait too (the first call checks the CLIs): its final answer is the usual error.
    const directEnd = (await waitUntilDone(client, direct)).at(-1) ?? direct;
    const code = (structured(directEnd).error as { code: string }).code;
    expect(code).toMatch(/^[A-Z_]+$/);
    const first = await call(client, 'roast', {
      domain: 'idea',
      context: slow(1_500, '@@fake error=auth'),
      clis: ['claude'],
    });
    expect(structured(first).status).toBe('running');
    const last = (await waitUntilDone(client, first)).at(-1)!;
    expect(last.isError).toBe(true);
    expect(structured(last)).toMatchObject({ status: 'error', error: { code } });
    expect(text(last)).toContain(code);
  });
});

describe('a critique whose server went away', () => {
  it('after a clean shutdown: the restarted server answers RUN_LOST at once', async () => {
    const first = await start();
    const pending = await call(first.client, 'roast', {
      domain: 'idea',
      context: 'Hang.\n@@fake hang=1',
      clis: ['codex'],
    });
    const contextId = structured(pending).contextId as string;
    await first.close();
    const second = await start();
    const lost = await call(second.client, 'roast', { context_id: contextId });
    expect(structured(lost)).toMatchObject({ status: 'error', error: { code: 'RUN_LOST' } });
  });

  it('after a crash: the restarted server answers RUN_LOST once the lease has lapsed, not a hang', async () => {
    const first = await start();
    const pending = await call(first.client, 'roast', {
      domain: 'idea',
      context: 'Hang.\n@@fake hang=1',
      clis: ['codex'],
    });
    const contextId = structured(pending).contextId as string;
    process.kill(first.pid, 'SIGKILL');
    expect(await waitFor(() => !isAlive(first.pid), 10_000)).toBe(true);
    const second = await start({ BRUTALIST_WAIT_MS: '5000' });
    const lost = await call(second.client, 'roast', { context_id: contextId });
    expect(structured(lost)).toMatchObject({ status: 'error', error: { code: 'RUN_LOST' } });
  });
});
