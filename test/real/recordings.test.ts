// Real binaries, output contract: each pinned CLI is run exactly as runCritic runs it against scripted stub
// answers, and the adapters must read what it printed. With BRUTALIST_RECORD=1 (`npm run record:real`) the
// outputs are written to test/fixtures/recorded/<cli>-<version>/, which test/unit/critics-recorded.test.ts
// parses on every run without the binaries.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { realClisDir } from '../../scripts/real-clis.js';
import { CLAUDE_DENIED_TOOLS, CLAUDE_READ_TOOLS, formatExitClass } from '../../src/critics/index.js';
import { runProcess } from '../../src/process/index.js';
import type { RealCritic } from '../support/real-clis.js';
import {
  type BareRun,
  INSTALL_TIMEOUT_MS,
  makeRealSandbox,
  pinOf,
  REAL_TEST_TIMEOUT_MS,
  type RealSandbox,
  realServerEnv,
  requireRealClis,
  runBare,
} from '../support/real-clis.js';
import { refusedUrl, StubModelServer, type StubScript } from '../support/stub-model/index.js';

// Real CLIs on a busy 2-core machine: generous per-test limits; our own deadlines are what the tests check.
vi.setConfig({ testTimeout: REAL_TEST_TIMEOUT_MS });

const RECORDED = resolve(import.meta.dirname, '../fixtures/recorded');
const RECORD = process.env.BRUTALIST_RECORD === '1';
const CRITICS = ['claude', 'codex', 'gemini'] as const;

const RECORDED_TEXT =
  '## Verdict\n\nThe retry loop has no ceiling: a 429 storm becomes a self-inflicted outage.\n\n' +
  '- Cap attempts at 3.\n- Add jitter.\n\nUnicode survives: naïve café — ✓\n';

interface Scenario {
  readonly name: string;
  readonly script?: StubScript;
  readonly unreachable?: boolean;
  readonly expected: { readonly code: string; readonly text?: string };
}

const SCENARIOS: readonly Scenario[] = [
  {
    name: 'ok',
    script: { text: RECORDED_TEXT, chunkChars: 40 },
    expected: { code: 'ok', text: RECORDED_TEXT },
  },
  {
    name: 'http-429',
    script: { status: 429, errorMessage: 'Rate limit reached' },
    expected: { code: 'RATE_LIMITED' },
  },
  {
    name: 'http-500',
    script: { status: 500, errorMessage: 'Internal error' },
    expected: { code: 'CLI_FAILED' },
  },
  // Codex retries a refused connection forever: the deadline below ends it, as cliTimeoutMs would.
  { name: 'unreachable', unreachable: true, expected: { code: 'MODEL_API_UNREACHABLE' } },
];

let bins: Record<RealCritic, string>;
let stub: StubModelServer;
let sandbox: RealSandbox;
let downUrl: string;

beforeAll(async () => {
  bins = await requireRealClis();
  stub = await StubModelServer.start();
  sandbox = makeRealSandbox();
  downUrl = await refusedUrl();
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await stub?.close();
  sandbox?.cleanup();
});

/** Host details out of recordings: temp paths, the cache prefix, the home folder, the stub's port. */
function scrub(text: string): string {
  return text
    .replaceAll(sandbox.dir, '/sandbox')
    .replaceAll(sandbox.dir.replace(/[^A-Za-z0-9]/g, '-'), '-sandbox')
    .replaceAll(realClisDir(), '/real-clis')
    .replaceAll(homedir(), '/home/user')
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT');
}

function record(critic: RealCritic, scenario: Scenario, bare: BareRun): void {
  const dir = join(RECORDED, `${critic}-${pinOf(critic).version}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${scenario.name}.stdout.jsonl`), scrub(bare.run.stdout.toString('utf8')));
  writeFileSync(join(dir, `${scenario.name}.stderr.txt`), scrub(bare.run.stderrTail));
  const meta = {
    critic,
    version: pinOf(critic).version,
    scenario: scenario.name,
    argv: bare.args,
    exit: bare.run.exit,
    exitClass: formatExitClass(bare.run.exit),
    truncated: bare.run.truncated,
    expected: scenario.expected,
  };
  writeFileSync(join(dir, `${scenario.name}.json`), `${scrub(JSON.stringify(meta, null, 2))}\n`);
}

describe.each(SCENARIOS)('scenario $name', (scenario) => {
  it('each CLI prints what its adapter reads as expected', async () => {
    const runs = await Promise.all(
      CRITICS.map(async (critic) => {
        const mark = `REC-${scenario.name}-${critic}-${process.pid}`;
        if (scenario.script) stub.when(mark, scenario.script);
        const bare = await runBare(critic, bins, sandbox, scenario.unreachable ? downUrl : stub.url, {
          prompt: `Critique the retry loop. ${mark}`,
          ...(critic === 'gemini' ? { model: 'gemini-2.5-pro' } : {}),
          // Only codex needs our deadline; the others exit by themselves (later on a loaded machine).
          timeoutMs: scenario.unreachable && critic === 'codex' ? 6_000 : 60_000,
        });
        return [critic, bare] as const;
      }),
    );
    for (const [critic, bare] of runs) {
      expect([critic, bare.code]).toEqual([critic, scenario.expected.code]);
      if (scenario.expected.text !== undefined)
        expect(bare.parsed?.text.trim()).toBe(scenario.expected.text.trim());
      if (RECORD) record(critic, scenario, bare);
    }
  });
});

describe('claude 2.1.197 tool names', () => {
  it('knows every name the adapter denies or allows (no "matches no known tool" warning)', async () => {
    const bare = await runBare('claude', bins, sandbox, stub.url, { prompt: 'Tool names check.' });
    expect(bare.code).toBe('ok');
    expect(bare.run.stderrTail).not.toMatch(/matches no known tool/i);
  });

  it('records the default tool list: every built-in is either a read tool or denied', async () => {
    const mark = `TOOLS-${process.pid}`;
    const env = realServerEnv(sandbox, bins, stub);
    const run = await runProcess({
      command: bins.claude,
      args: ['-p', '--output-format', 'json', '--no-session-persistence', '--tools', 'default'],
      cwd: sandbox.project,
      env: { ...env, ANTHROPIC_BASE_URL: stub.url },
      stdin: `List nothing. ${mark}`,
      timeoutMs: 60_000,
      stallTimeoutMs: 60_000,
      killGraceMs: 500,
      maxOutputBytes: 1024 * 1024,
      maxStderrBytes: 64 * 1024,
    });
    expect(run.exit.kind).toBe('ok');
    const request = stub.requestsWith(mark).find((r) => r.stream)!;
    const tools = ((request.body as { tools?: Array<{ name: string }> }).tools ?? [])
      .map((t) => t.name)
      .sort();
    expect(tools.length).toBeGreaterThan(5);
    const known = new Set([...CLAUDE_DENIED_TOOLS.split(','), ...CLAUDE_READ_TOOLS.split(',')]);
    expect(tools.filter((t) => !known.has(t))).toEqual([]);
    for (const denied of CLAUDE_DENIED_TOOLS.split(',')) expect(tools).toContain(denied);
    if (RECORD) {
      const dir = join(RECORDED, `claude-${pinOf('claude').version}`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'tools.json'), `${JSON.stringify({ default: tools }, null, 2)}\n`);
    }
  });
});

if (RECORD) {
  beforeAll(() => {
    // A fresh recording replaces the old one of the same version completely.
    for (const critic of CRITICS) {
      rmSync(join(RECORDED, `${critic}-${pinOf(critic).version}`), { recursive: true, force: true });
    }
  });
}
