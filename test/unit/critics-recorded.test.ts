// Contract with the pinned real CLIs: their recorded outputs (test/fixtures/recorded/<cli>-<version>/, written by
// `npm run record:real` from real runs) must read as recorded. A CLI upgrade that changes a format, or a pin
// bump without new recordings, fails here first.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PINNED } from '../../scripts/real-clis.js';
import {
  ADAPTERS,
  CLAUDE_DENIED_TOOLS,
  CLAUDE_READ_TOOLS,
  type ParsedOutput,
} from '../../src/critics/index.js';
import type { ExitClass } from '../../src/process/types.js';
import { runResult } from './critics-samples.js';

const RECORDED = resolve(import.meta.dirname, '../fixtures/recorded');

interface Meta {
  critic: 'claude' | 'codex' | 'gemini';
  version: string;
  scenario: string;
  argv: string[];
  exit: ExitClass;
  truncated: boolean;
  expected: { code: string; text?: string };
}

describe.each(PINNED)('recorded output of $critic $version', (pin) => {
  const dir = join(RECORDED, `${pin.critic}-${pin.version}`);

  it('exists for the pinned version (else run `npm run record:real`)', () => {
    expect(existsSync(dir), `no recordings in ${dir}`).toBe(true);
    expect(
      readdirSync(dir)
        .filter((f) => f.endsWith('.json') && f !== 'tools.json')
        .sort(),
    ).toEqual(['http-429.json', 'http-500.json', 'ok.json', 'unreachable.json']);
  });

  const metas = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.json') && f !== 'tools.json')
        .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Meta)
    : [];

  it.each(metas.map((m) => [m.scenario, m] as const))('%s reads as %j', (_name, meta) => {
    const adapter = ADAPTERS[pin.critic];
    const stdout = readFileSync(join(dir, `${meta.scenario}.stdout.jsonl`), 'utf8');
    const stderr = readFileSync(join(dir, `${meta.scenario}.stderr.txt`), 'utf8');
    let parsed: ParsedOutput | undefined;
    try {
      parsed = adapter.parseOutput(stdout);
    } catch {
      parsed = undefined;
    }
    const failure = adapter.classifyFailure(runResult(meta.exit, stdout, stderr, meta.truncated), parsed);
    const code = failure ?? (parsed && parsed.text.trim().length > 0 ? 'ok' : 'CLI_OUTPUT_INVALID');
    expect(code).toBe(meta.expected.code);
    if (meta.expected.text !== undefined) expect(parsed?.text.trim()).toBe(meta.expected.text.trim());
    // The recording was made with today's argv: a changed invocation needs a new recording.
    const invocation = adapter.buildInvocation(
      { prompt: 'p' },
      meta.argv.includes('-m') ? meta.argv[meta.argv.indexOf('-m') + 1] : undefined,
      { baseUrl: 'http://127.0.0.1:PORT', cwd: '/recorded/project' },
    );
    // As reported with a result: host paths (codex's trust override) are placeholders.
    const args = invocation.shownArgs ?? invocation.args;
    const normalise = (argv: readonly string[]) =>
      argv.map((a) => a.replace(/127\.0\.0\.1:PORT\/v1/, '127.0.0.1:PORT'));
    expect(normalise(meta.argv)).toEqual(normalise(args));
  });
});

describe('claude tool names', () => {
  const pin = PINNED.find((p) => p.critic === 'claude')!;
  const file = join(RECORDED, `claude-${pin.version}`, 'tools.json');

  it('deny every built-in tool of the pinned version except the read tools, and name no unknown tool', () => {
    const { default: builtins } = JSON.parse(readFileSync(file, 'utf8')) as { default: string[] };
    const denied = CLAUDE_DENIED_TOOLS.split(',');
    const read = CLAUDE_READ_TOOLS.split(',');
    expect(builtins.filter((t) => !denied.includes(t) && !read.includes(t))).toEqual([]);
    expect(denied.filter((t) => !builtins.includes(t))).toEqual([]);
  });
});
