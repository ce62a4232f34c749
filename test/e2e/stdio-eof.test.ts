// stdin EOF on the built stdio server: the critique already asked for is answered on stdout, then the process
// exits 0 with no critic left behind; with nothing in flight it exits 0 at once.
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI_JS, isAlive, makeSandbox, readLog, serverEnv } from '../support/harness.js';

const sandbox = makeSandbox('brutalist-stdio-eof-');
afterAll(() => sandbox.cleanup());

const INIT = [
  {
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'eof', version: '1' } },
  },
  { jsonrpc: '2.0', method: 'notifications/initialized' },
];

/** Writes `messages`, closes stdin, collects stdout lines until exit. */
function session(messages: unknown[]): Promise<{ code: number | null; lines: Array<{ id?: unknown }> }> {
  const child = spawn(process.execPath, [CLI_JS], {
    env: serverEnv(sandbox, { BRUTALIST_STATE_STORE: 'memory', BRUTALIST_WAIT_MS: '60000' }),
    cwd: sandbox.project,
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stdin.end(messages.map((m) => `${JSON.stringify(m)}\n`).join(''));
  return new Promise((resolve) =>
    child.once('exit', (code) =>
      resolve({
        code,
        lines: out
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as { id?: unknown }),
      }),
    ),
  );
}

describe('stdin EOF', () => {
  it('answers the critique in flight before exiting 0', async () => {
    const call = {
      jsonrpc: '2.0',
      id: 2,
      method: 'tools/call',
      params: {
        name: 'roast',
        arguments: { domain: 'idea', context: 'Eof.\n@@fake delay_ms=1000\n@@fake text=AFTER-EOF' },
      },
    };
    const { code, lines } = await session([...INIT, call]);
    expect(code).toBe(0);
    const answer = lines.find((l) => l.id === 2);
    expect(JSON.stringify(answer)).toContain('AFTER-EOF');
    for (const inv of readLog(sandbox.log)) expect(isAlive(inv.pid)).toBe(false);
  });

  it('exits 0 at once with nothing in flight', async () => {
    const { code, lines } = await session(INIT);
    expect(code).toBe(0);
    expect(lines.some((l) => l.id === 1)).toBe(true);
  });
});
