// Real binaries under bwrap: each pinned CLI runs confined (sandbox=bwrap) through the built server, answers from
// the stub model API, and sees the target, its own install and config, and nothing else of the host.
import { existsSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  callTool,
  connectRealServer,
  descendantsOf,
  errorOf,
  INSTALL_TIMEOUT_MS,
  makeRealSandbox,
  REAL_TEST_TIMEOUT_MS,
  type RealSandbox,
  type RealServer,
  realServerEnv,
  requireRealClis,
  structuredOf,
  textOf,
  waitUntil,
} from '../support/real-clis.js';
import { StubModelServer } from '../support/stub-model/index.js';

vi.setConfig({ testTimeout: REAL_TEST_TIMEOUT_MS });

const CRITICS = ['claude', 'codex', 'gemini'] as const;
let stub: StubModelServer;
let sandbox: RealSandbox;
let server: RealServer;
let secret: string;
let bins: Awaited<ReturnType<typeof requireRealClis>>;

beforeAll(async () => {
  bins = await requireRealClis();
  stub = await StubModelServer.start();
  sandbox = makeRealSandbox('brutalist-confine-');
  secret = join(sandbox.dir, 'outside-secret.txt');
  writeFileSync(secret, `SECRET-${process.pid}\n`);
  server = await connectRealServer(
    // A loaded 2-core machine can keep gemini silent for a while before its first byte.
    realServerEnv(sandbox, bins, stub, { BRUTALIST_SANDBOX: 'bwrap', BRUTALIST_STALL_TIMEOUT_MS: '90000' }),
    sandbox.project,
  );
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await server?.close();
  await stub?.close();
  sandbox?.cleanup();
});

describe('sandbox=bwrap with the real CLIs', () => {
  it('the roster reports bwrap', async () => {
    const roster = await callTool(server.client, 'cli_agent_roster', {});
    expect((roster.structuredContent as { sandbox: { mode: string } }).sandbox.mode).toBe('bwrap');
  });

  it.each(CRITICS)('%s reviews the target confined and its critique comes back', async (critic) => {
    const mark = `MARK-confined-${critic}-${process.pid}`;
    // The answer quotes no marker: the critique sanitizer's secret heuristics may redact marker-like tokens.
    const answer = `Confined verdict from ${critic}: the pricing assumption is the fatal one.`;
    stub.when(mark, { text: answer });
    const result = await callTool(server.client, 'roast', {
      domain: 'codebase',
      target: '.',
      context: `Review it. ${mark}`,
      clis: [critic],
    });
    expect(errorOf(result)).toBeUndefined();
    expect(textOf(result)).toContain(answer);
    expect(structuredOf(result).critics[0]?.ok).toBe(true);
  });
});

/**
 * What a running critic's filesystem holds, read by the kernel's view of it (/proc/PID/root), while the stub
 * holds its model answer: per process of the critic's tree that is in another mount namespace than ours.
 */
async function viewOfRunningCritic(on: RealServer, critic: (typeof CRITICS)[number], label: string) {
  const mark = `MARK-view-${critic}-${label}-${process.pid}`;
  stub.when(mark, { text: `Seen: ${mark}`, delayMs: 4_000 });
  const call = callTool(on.client, 'roast', {
    domain: 'codebase',
    target: '.',
    context: `Review it. ${mark}`,
    clis: [critic],
  });
  await waitUntil(() => stub.requestsWith(mark).some((r) => r.stream), 90_000);
  const ownNs = readlinkSync('/proc/self/ns/mnt');
  const views = descendantsOf(on.pid).flatMap((p) => {
    try {
      const ns = readlinkSync(`/proc/${p.pid}/ns/mnt`);
      const root = `/proc/${p.pid}/root`;
      return [
        {
          confined: ns !== ownNs,
          secret: existsSync(root + secret),
          target: existsSync(join(root + sandbox.project, 'src', 'index.ts')),
          serverHome: existsSync(root + sandbox.tmp),
        },
      ];
    } catch {
      return []; // exited while we looked
    }
  });
  expect(errorOf(await call)).toBeUndefined();
  return views;
}

describe('what a running real critic can see (the kernel view of its filesystem)', () => {
  it.each(CRITICS)(
    '%s under bwrap: the target, not the file next to it, nor the server TMPDIR',
    async (critic) => {
      const views = await viewOfRunningCritic(server, critic, 'bwrap');
      const confined = views.filter((v) => v.confined);
      expect(confined.length).toBeGreaterThan(0);
      for (const view of confined)
        expect(view).toEqual({ confined: true, secret: false, target: true, serverHome: false });
    },
  );

  it('claude unconfined (the control): the same look finds the file, so the check above can fail', async () => {
    const plain = await connectRealServer(
      realServerEnv(sandbox, bins, stub, { BRUTALIST_STALL_TIMEOUT_MS: '90000' }),
      sandbox.project,
    );
    try {
      const views = await viewOfRunningCritic(plain, 'claude', 'off');
      expect(views.some((v) => v.secret)).toBe(true);
      expect(views.every((v) => !v.confined)).toBe(true);
    } finally {
      await plain.close();
    }
  });
});
