// A failing critic tells the user why: the error carries a sanitized cause and a request id, and the stderr log
// has a line for the failure with the same id. Real fake-critic subprocesses, the real SDK client, a real logger.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServerLogLevel as LogLevel } from '../../src/engine/config.js';
import { resolveConfig } from '../../src/engine/config.js';
import { createLogger } from '../../src/observability/index.js';
import { createApp } from '../../src/transport/index.js';
import {
  connectInProcess,
  fakeCritics,
  makeSandbox,
  REPO,
  type Sandbox,
  serverEnv,
  waitFor,
} from '../support/harness.js';

const SECRET = 's3cr3t-value-9f8e7d6c';
// The fake critic prints this on stderr (env knob: the version probe prints it too, and passes) and, asked by the
// prompt knob, exits 3: a failure no rule recognises, so CLI_FAILED. The secret is in the server's env.
const FAIL = '\n@@fake exit_code=3';
const STDERR = `fatal: upstream refused token ${SECRET} while reading /home/someone/.config/vendor/creds.json`;
const CAUSE = 'fatal: upstream refused token <redacted> while reading <path>';
/** Request ids are W3C trace ids (ADR 0040). */
const TRACE_ID = /^[0-9a-f]{32}$/;

let sandbox: Sandbox;
let closers: Array<() => Promise<void>> = [];

beforeEach(() => {
  sandbox = makeSandbox('brutalist-errors-');
});

afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
  sandbox.cleanup();
});

interface ErrorContent {
  code: string;
  data: { critic?: string; exitClass?: string; detail?: string; requestId?: string };
}
type LogLine = Record<string, unknown> & { level: number; event?: string; requestId?: string };

const textOf = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
const errorOf = (r: CallToolResult) => (r.structuredContent as { error: ErrorContent }).error;
const parseLines = (out: string): LogLine[] =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);

/** The server in this process with a real pino logger writing into `lines`. */
async function connectLogged(
  level: LogLevel,
): Promise<{ client: Client; log: () => LogLine[]; raw: () => string }> {
  let raw = '';
  const env = {
    PATH: process.env.PATH,
    HOME: sandbox.home,
    FAKE_CLI_STDERR: STDERR,
    VENDOR_API_TOKEN: SECRET,
  };
  const destination = {
    write: (line: string) => {
      raw += line;
    },
  };
  const logger = createLogger({ level, env, destination });
  const config = resolveConfig({ overrides: { stateStore: 'memory', ...fakeCritics(sandbox) } });
  const app = createApp(config, { env, logger });
  const connection = await connectInProcess({}, { app, env });
  closers.push(async () => {
    await connection.close();
    await app.shutdown();
  });
  return { client: connection.client, log: () => parseLines(raw), raw: () => raw };
}

async function roast(client: Client, context: string): Promise<CallToolResult> {
  return (await client.callTool({
    name: 'roast',
    arguments: { domain: 'idea', context: context + FAIL, clis: ['claude'] },
  })) as CallToolResult;
}

describe('a failing critic, in process', () => {
  it('returns the exit class, the sanitized stderr tail as detail, and a request id, also in the text', async () => {
    const { client } = await connectLogged('warn');
    const result = await roast(client, 'an idea');
    expect(result.isError).toBe(true);
    const error = errorOf(result);
    expect(error.code).toBe('CLI_FAILED');
    expect(error.data).toMatchObject({ critic: 'claude', exitClass: 'exit:3', detail: CAUSE });
    expect(error.data.requestId).toMatch(TRACE_ID);
    const text = textOf(result);
    expect(text).toContain(`Cause: exit:3: ${CAUSE}`);
    expect(text).toContain(`Request id: ${error.data.requestId}`);
    expect(JSON.stringify(result)).not.toContain(SECRET);
    expect(JSON.stringify(result)).not.toContain('/home/someone');
  });

  it('logs the failure at warn with the same request id, exit class, duration and redacted stderr tail', async () => {
    const { client, log, raw } = await connectLogged('warn');
    const result = await roast(client, 'another idea');
    const requestId = errorOf(result).data.requestId;
    const failures = log().filter((l) => l.event === 'critic_failure');
    expect(failures).toHaveLength(1);
    const line = failures[0]!;
    expect(line).toMatchObject({
      level: 40,
      requestId,
      tool: 'roast',
      critic: 'claude',
      code: 'CLI_FAILED',
      exitClass: 'exit:3',
      detail: CAUSE,
    });
    expect(typeof line.durationMs).toBe('number');
    expect(line.stderrTail).toContain('fatal: upstream refused token <redacted>');
    expect(raw()).not.toContain(SECRET);
    // warn: the per-call info line and the spawn/exit debug lines stay out.
    expect(log().map((l) => l.event)).toEqual(['critic_failure']);
  });

  it('gives each call its own id and stamps it on the process lines the call caused (debug)', async () => {
    const { client, log } = await connectLogged('debug');
    const first = errorOf(await roast(client, 'idea one')).data.requestId;
    const second = errorOf(await roast(client, 'idea two')).data.requestId;
    expect(first).not.toBe(second);
    for (const id of [first, second]) {
      const events = log()
        .filter((l) => l.requestId === id)
        .map((l) => l.event);
      // The first call also probes the critic's version: spawns vary, the last lines do not.
      expect(events).toContain('process_spawn');
      expect(events.slice(-3)).toEqual(['process_exit', 'critic_failure', 'tool_error']);
    }
  });

  it('writes nothing at level silent', async () => {
    const { client, raw } = await connectLogged('silent');
    expect((await roast(client, 'quiet idea')).isError).toBe(true);
    expect(raw()).toBe('');
  });
});

describe('a failing critic, over stdio', () => {
  it('writes the JSON log line with the request id of the error to the server stderr', async () => {
    const env = serverEnv(sandbox, {
      FAKE_CLI_STDERR: STDERR,
      VENDOR_API_TOKEN: SECRET,
      BRUTALIST_STATE_STORE: 'memory',
    });
    const transport = new StdioClientTransport({
      command: process.execPath,
      // tsx by path: the server runs in the sandbox project, where `tsx` does not resolve.
      args: [
        '--import',
        pathToFileURL(join(REPO, 'node_modules/tsx/dist/loader.mjs')).href,
        join(REPO, 'src/cli.ts'),
      ],
      env,
      cwd: sandbox.project,
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    const client = new Client({ name: 'brutalist-errors', version: '1.0.0' });
    await client.connect(transport);
    closers.push(() => client.close());
    const result = (await client.callTool({
      name: 'roast',
      arguments: { domain: 'idea', context: `an idea${FAIL}`, clis: ['claude'] },
    })) as CallToolResult;
    const requestId = errorOf(result).data.requestId;
    expect(requestId).toMatch(TRACE_ID);
    const logged = () => parseLines(stderr).find((l) => l.event === 'critic_failure');
    expect(await waitFor(() => logged() !== undefined, 10_000)).toBe(true);
    expect(logged()).toMatchObject({ requestId, exitClass: 'exit:3', detail: CAUSE });
    expect(stderr).not.toContain(SECRET);
  }, 30_000);
});

describe('callers sharing one run', () => {
  it('each log with their own request id, and the same flight links them to the run (debug)', async () => {
    const { client, log } = await connectLogged('debug');
    const release = join(sandbox.dir, 'release');
    // The critic answers only once `release` exists: the second call finds the first one's run in flight.
    const context = `a shared idea\n@@fake wait_file=${release}${FAIL}`;
    const flights = () => log().filter((l) => l.event === 'flight');
    const first = roast(client, context);
    expect(await waitFor(() => flights().length === 1, 10_000)).toBe(true);
    const second = roast(client, context);
    expect(await waitFor(() => flights().length === 2, 10_000)).toBe(true);
    writeFileSync(release, '');
    const ids = [errorOf(await first).data.requestId, errorOf(await second).data.requestId];
    expect(ids[0]).not.toBe(ids[1]);
    const [started, joined] = flights();
    expect(started).toMatchObject({ role: 'started', requestId: ids[0] });
    expect(joined).toMatchObject({ role: 'joined', requestId: ids[1], flight: started?.flight });
    // One critic run: its failure is logged once, under the id of the call that started it.
    const failures = log().filter((l) => l.event === 'critic_failure');
    expect(failures.map((l) => l.requestId)).toEqual([ids[0]]);
    const errors = log().filter((l) => l.event === 'tool_error');
    expect(errors.map((l) => l.requestId).sort()).toEqual([...ids].sort());
  });
});
