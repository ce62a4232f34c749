// Real claude 2.1.197 and codex 0.169.0 against the stub model, through the built server: a codebase roast whose
// critics end with a findings block (a quote at its line, one cited at the wrong line, one hallucinated, one
// holding a committed token) comes back with checked, merged findings that validate against roast's outputSchema
// as tools/list declares it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Finding, FindingsSummary } from '../../src/findings/index.js';
import {
  callTool,
  connectRealServer,
  errorOf,
  INSTALL_TIMEOUT_MS,
  makeRealSandbox,
  REAL_TEST_TIMEOUT_MS,
  type RealSandbox,
  type RealServer,
  realServerEnv,
  requireRealClis,
  textOf,
} from '../support/real-clis.js';
import { StubModelServer } from '../support/stub-model/index.js';

vi.setConfig({ testTimeout: REAL_TEST_TIMEOUT_MS });

const TOKEN = 'ghp_Zq8xLm2Rt7Vb4Nc8Hj5Ws1Ya6Ed0UkP3oA9f';
// 30 lines: `return rows[0];` is on line 5 only, so a citation of line 25 is far from it (re-anchored, not "near").
const DB_TS = [
  "import { pool } from './pool';",
  '',
  'export async function findUser(id: string) {',
  '  const rows = await pool.query("SELECT * FROM users WHERE id = \'" + id + "\'");',
  '  return rows[0];',
  '}',
  '',
  `const deployToken = "${TOKEN}";`,
  '',
  ...Array.from({ length: 21 }, (_, i) => `export const limit${i} = ${i};`),
].join('\n');

const SQL = {
  severity: 'high',
  category: 'security',
  title: 'SQL injection in findUser',
  file: 'src/db.ts',
  line: 4,
  quote: 'const rows = await pool.query("SELECT * FROM users WHERE id = \'" + id + "\'");',
  why: 'Any caller-controlled id runs arbitrary SQL.',
  fix: 'Use a parameterised query.',
  confidence: 0.9,
};
const CLAUDE_FINDINGS = [
  SQL,
  {
    severity: 'medium',
    category: 'correctness',
    title: 'First row returned without a not-found check',
    file: 'src/db.ts',
    line: 25,
    quote: 'return rows[0];',
    why: 'Callers get undefined for a missing user.',
    fix: null,
    confidence: 0.6,
  },
  {
    severity: 'critical',
    category: 'security',
    title: 'Remote code execution through eval',
    file: 'src/db.ts',
    line: 12,
    quote: 'eval(req.body.code);',
    why: 'Anyone can run code on the server.',
    fix: 'Remove eval.',
    confidence: 0.5,
  },
  {
    severity: 'high',
    category: 'secrets',
    title: 'Deploy token committed to the repository',
    file: 'src/db.ts',
    line: 8,
    quote: `const deployToken = "${TOKEN}";`,
    why: 'The token grants push access.',
    fix: 'Revoke it and read it from the environment.',
    confidence: 0.9,
  },
];

const answer = (mark: string, findings: object[]) =>
  `${mark} The data layer concatenates SQL.\n\n\`\`\`brutalist-findings\n${JSON.stringify(findings, null, 1)}\n\`\`\`\n`;

let stub: StubModelServer;
let sandbox: RealSandbox;
let server: RealServer;

beforeAll(async () => {
  const bins = await requireRealClis();
  stub = await StubModelServer.start();
  sandbox = makeRealSandbox('brutalist-real-findings-');
  writeFileSync(join(sandbox.project, 'src', 'db.ts'), `${DB_TS}\n`);
  server = await connectRealServer(realServerEnv(sandbox, bins, stub), sandbox.project);
}, INSTALL_TIMEOUT_MS);

afterAll(async () => {
  await server?.close();
  await stub?.close();
  sandbox?.cleanup();
});

describe('roast findings from the real CLIs', () => {
  it('come back verified, re-anchored or unverified, merged across claude and codex, valid against the outputSchema', async () => {
    const mark = `FINDINGS-${process.pid}`;
    stub.when(mark, { text: answer(mark, CLAUDE_FINDINGS) }, 'anthropic');
    stub.when(mark, { text: answer(mark, [SQL]) }, 'openai');
    const { tools } = await server.client.listTools();
    const schema = tools.find((t) => t.name === 'roast')?.outputSchema;
    expect(schema).toBeDefined();
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema!);

    const result = await callTool(server.client, 'roast', {
      domain: 'codebase',
      target: '.',
      context: `Review the data layer. ${mark}`,
      clis: ['claude', 'codex'],
    });
    expect(errorOf(result)).toBeUndefined();
    expect(validate(result.structuredContent), JSON.stringify(validate.errors)).toBe(true);
    const { findings, findingsSummary, critics } = result.structuredContent as {
      findings: Finding[];
      findingsSummary: FindingsSummary;
      critics: { critic: string; ok: boolean }[];
    };
    expect(critics.map((c) => [c.critic, c.ok])).toEqual([
      ['claude', true],
      ['codex', true],
    ]);
    const by = new Map(findings.map((f) => [f.title, f]));
    expect(by.get('SQL injection in findUser')).toMatchObject({
      line: 4,
      verification: 'verified',
      detectedBy: ['claude', 'codex'],
      agreement: 1,
    });
    expect(by.get('First row returned without a not-found check')).toMatchObject({
      line: 5,
      verification: 'reanchored',
      detectedBy: ['claude'],
      agreement: 0.5,
    });
    expect(by.get('Remote code execution through eval')).toMatchObject({
      line: 12,
      verification: 'unverified',
    });
    // The quote was checked against the file as it is (verified), and the token never comes back.
    expect(by.get('Deploy token committed to the repository')).toMatchObject({
      line: 8,
      verification: 'verified',
    });
    expect(JSON.stringify(result)).not.toContain(TOKEN);
    expect(findings).toHaveLength(4);
    expect(findingsSummary).toMatchObject({ total: 4, unverified: 1, dropped: 0, withoutBlock: [] });
    // The text starts with the findings table; the raw block is not shown.
    expect(textOf(result)).toContain('| critical |');
    expect(textOf(result)).not.toContain('```brutalist-findings');
  });
});
