// A roast of a temp codebase by fake critics that emit valid, malformed, duplicated and hallucinated findings,
// through the real MCP SDK client: verified, merged findings in structuredContent that match the outputSchema.
import { appendFileSync, copyFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Finding, findingSchema, findingsSummarySchema } from '../../src/findings/index.js';
import { toolResultSchema } from '../../src/mcp/result-schema.js';
import {
  connectInProcess,
  fakeCritics,
  makeSandbox,
  readLog,
  type Sandbox,
  waitUntil,
} from '../support/harness.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/findings');
const TOKEN = 'ghp_Zq8xLm2Rt7Vb4Nc8Hj5Ws1Ya6Ed0UkP3oA9f';

let sandbox: Sandbox;
let client: Client;
let close: () => Promise<void>;
let validate: (value: unknown) => boolean;

beforeAll(async () => {
  sandbox = makeSandbox('brutalist-findings-');
  copyFileSync(join(FIXTURES, 'db.ts.txt'), join(sandbox.project, 'src', 'db.ts'));
  const env = {
    PATH: process.env.PATH,
    HOME: sandbox.home,
    FAKE_CLI_TEXT_FILE: join(FIXTURES, 'answer-{name}.md'),
  };
  ({ client, close } = await connectInProcess(fakeCritics(sandbox), { env }));
  const { tools } = await client.listTools(); // the SDK client validates results of listed tools too
  const roast = tools.find((t) => t.name === 'roast')!;
  validate = new Ajv({ strict: false }).compile(roast.outputSchema!);
});

afterAll(async () => {
  await close?.();
  sandbox?.cleanup();
});

async function roast(args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name: 'roast', arguments: args })) as CallToolResult;
}
const structured = (r: CallToolResult) => r.structuredContent as Record<string, unknown>;
const findingsOf = (r: CallToolResult) => structured(r).findings as Finding[];
const ARGS = { domain: 'codebase', target: '.', clis: ['claude', 'codex', 'gemini'], limit: 1_000 };

describe('roast findings', () => {
  let first: CallToolResult;
  beforeAll(async () => {
    first = await roast(ARGS);
  });

  it('validates against the declared outputSchema and the findings contract', () => {
    expect(first.isError).toBeFalsy();
    expect(validate(first.structuredContent), JSON.stringify((validate as { errors?: unknown }).errors)).toBe(
      true,
    );
    expect(() => toolResultSchema.parse(first.structuredContent)).not.toThrow();
    for (const f of findingsOf(first)) expect(() => findingSchema.parse(f)).not.toThrow();
    expect(() => findingsSummarySchema.parse(structured(first).findingsSummary)).not.toThrow();
  });

  it('merges the same injection reported by two critics, verified at the line the quote is on', () => {
    const injection = findingsOf(first).filter((f) => f.quote?.includes('pool.query'));
    expect(injection).toHaveLength(1);
    expect(injection[0]).toMatchObject({
      file: 'src/db.ts',
      line: 4,
      verification: 'verified',
      detectedBy: ['claude', 'codex'],
      agreement: 1, // gemini returned no block, so two of the two critics with findings agree
      severity: 'critical',
    });
  });

  it('re-anchors a misplaced quote and marks hallucinated or out-of-target quotes unverified', () => {
    const byTitle = new Map(findingsOf(first).map((f) => [f.title, f]));
    expect(byTitle.get('First row returned without a not-found check')).toMatchObject({
      verification: 'reanchored',
      line: 5,
    });
    expect(byTitle.get('Hard-coded admin password')?.verification).toBe('unverified');
    expect(byTitle.get('Reads the password file')?.verification).toBe('unverified');
  });

  it('checks a quote holding a secret before redaction, and never returns the secret', () => {
    const leak = findingsOf(first).find((f) => f.title === 'Deploy token committed to the repository');
    expect(leak?.verification).toBe('verified');
    expect(JSON.stringify(first)).not.toContain(TOKEN);
  });

  it('counts dropped entries and the critic that gave no block', () => {
    expect(structured(first).findingsSummary).toEqual({
      total: 5,
      bySeverity: { critical: 2, high: 1, medium: 1, low: 1, info: 0 },
      unverified: 2,
      dropped: 2,
      withoutBlock: ['gemini'],
    });
    expect(findingsOf(first).map((f) => [f.severity, f.agreement])).toEqual([
      ['critical', 1],
      ['critical', 0.5],
      ['high', 0.5],
      ['medium', 0.5],
      ['low', 0.5],
    ]);
  });

  it('starts the text with the findings table and shows no raw findings block', () => {
    const text = (first.content[0] as { text: string }).text;
    expect(text.split('\n\n')[1]).toBe(
      '**Findings:** 2 critical, 1 high, 1 medium, 1 low; 2 unverified. 2 malformed or surplus entries dropped.',
    );
    expect(text).toContain('| 1 | critical |');
    expect(text).not.toContain('brutalist-findings');
  });

  it('keeps the findings on later pages and on a cached answer', async () => {
    const page = structured(first).page as { nextOffset: number | null };
    expect(page.nextOffset).not.toBeNull();
    const next = await roast({ context_id: structured(first).contextId, offset: page.nextOffset });
    expect(validate(next.structuredContent)).toBe(true);
    expect(findingsOf(next)).toEqual(findingsOf(first));
    const cached = await roast(ARGS);
    expect(structured(cached).cached).toBe(true);
    expect(findingsOf(cached)).toEqual(findingsOf(first));
  });
});

describe('roast findings of a critique that outlived its call', () => {
  it('come back to the wait that gets the finished critique', async () => {
    const env = {
      PATH: process.env.PATH,
      HOME: sandbox.home,
      FAKE_CLI_TEXT_FILE: join(FIXTURES, 'answer-{name}.md'),
    };
    const slow = await connectInProcess(fakeCritics(sandbox, { waitMs: 200 }), { env });
    try {
      const args = { ...ARGS, clis: ['claude'], context: 'slow\n@@fake delay_ms=1500' };
      const first = (await slow.client.callTool({ name: 'roast', arguments: args })) as CallToolResult;
      expect(structured(first)).toMatchObject({ status: 'running' });
      expect(structured(first).findings).toBeUndefined();
      let last = first;
      for (let i = 0; i < 100 && structured(last).status === 'running'; i++) {
        const wait = { context_id: structured(first).contextId };
        last = (await slow.client.callTool({ name: 'roast', arguments: wait })) as CallToolResult;
      }
      expect(validate(last.structuredContent)).toBe(true);
      expect(structured(last).findingsSummary).toMatchObject({ total: 4, withoutBlock: [] });
      expect(
        findingsOf(last)
          .map((f) => f.verification)
          .sort(),
      ).toEqual(['reanchored', 'unverified', 'verified', 'verified']);
    } finally {
      await slow.close();
    }
  });
});

describe('roast findings about a file that changed while the critics ran', () => {
  it('are flagged fileChanged, and the table says so', async () => {
    const box = makeSandbox('brutalist-findings-changed-');
    const db = join(box.project, 'src', 'db.ts');
    copyFileSync(join(FIXTURES, 'db.ts.txt'), db);
    const release = join(box.dir, 'release');
    const env = {
      PATH: process.env.PATH,
      HOME: box.home,
      FAKE_CLI_TEXT_FILE: join(FIXTURES, 'answer-{name}.md'),
      FAKE_CLI_LOG: box.log,
      FAKE_CLI_WAIT_FILE: release,
    };
    const run = await connectInProcess(fakeCritics(box), { env });
    try {
      const call = run.client.callTool({ name: 'roast', arguments: { ...ARGS, clis: ['claude'] } });
      // The critic has started (so has the run-start snapshot); it answers once `release` exists.
      await waitUntil(() => readLog(box.log).length > 0);
      appendFileSync(db, '\nexport const addedDuringTheRun = 1;\n');
      writeFileSync(release, '');
      const result = (await call) as CallToolResult;
      const inDb = findingsOf(result).filter((f) => f.file === 'src/db.ts');
      expect(inDb.length).toBeGreaterThan(0);
      for (const f of inDb) expect(f.fileChanged).toBe(true);
      expect(inDb.find((f) => f.line === 4)?.verification).toBe('verified');
      expect((result.content[0] as { text: string }).text).toContain('(file changed during the run)');
    } finally {
      await run.close();
      box.cleanup();
    }
  });
});
