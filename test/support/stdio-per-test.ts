/**
 * A fresh sandbox for every test, and the built servers it starts over stdio — closed (last first) and removed
 * after the test. For suites whose tests restart servers on one state dir or read the fake critics' log.
 */
import { afterEach, beforeEach } from 'vitest';
import { connectStdio, makeSandbox, type Sandbox, serverEnv } from './harness.js';

export type StdioServer = Awaited<ReturnType<typeof connectStdio>>;

export function stdioPerTest(prefix: string, baseEnv: Record<string, string> = {}) {
  let sandbox: Sandbox | undefined;
  let closers: Array<() => Promise<void>> = [];
  beforeEach(() => {
    sandbox = makeSandbox(prefix);
  });
  afterEach(async () => {
    for (const close of closers.reverse()) await close().catch(() => {});
    closers = [];
    sandbox?.cleanup();
  });
  const current = (): Sandbox => {
    if (!sandbox) throw new Error('stdioPerTest: used outside a test');
    return sandbox;
  };
  return {
    get sandbox(): Sandbox {
      return current();
    },
    /** The built server on this test's sandbox; tools listed first, so the SDK client validates every result. */
    async start(extra: Record<string, string> = {}): Promise<StdioServer> {
      const box = current();
      const server = await connectStdio(serverEnv(box, { ...baseEnv, ...extra }), box.project);
      closers.push(server.close);
      await server.client.listTools();
      return server;
    },
  };
}
