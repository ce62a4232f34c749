// End to end: the built server over stdio, driven by the real MCP SDK client, roasts a temp codebase with fakes that
// emit valid, malformed, duplicated and hallucinated findings; the findings come back checked, merged and valid,
// and the same from the SQLite cache.
import { copyFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/findings/index.js';
import { connectStdio, makeSandbox, type Sandbox, serverEnv } from '../support/harness.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/findings');

let sandbox: Sandbox;
let client: Client;
let close: () => Promise<void>;

beforeAll(async () => {
  sandbox = makeSandbox('brutalist-e2e-findings-');
  copyFileSync(join(FIXTURES, 'db.ts.txt'), join(sandbox.project, 'src', 'db.ts'));
  ({ client, close } = await connectStdio(
    serverEnv(sandbox, { FAKE_CLI_TEXT_FILE: join(FIXTURES, 'answer-{name}.md') }),
    sandbox.project,
  ));
});

afterAll(async () => {
  await close?.();
  sandbox?.cleanup();
});

describe('roast over stdio', () => {
  it('returns verified, merged findings that match the declared outputSchema', async () => {
    const { tools } = await client.listTools();
    const validate = new Ajv({ strict: false }).compile(tools.find((t) => t.name === 'roast')!.outputSchema!);
    const result = (await client.callTool({
      name: 'roast',
      arguments: { domain: 'codebase', target: '.', clis: ['claude', 'codex', 'gemini'] },
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(validate(result.structuredContent), JSON.stringify(validate.errors)).toBe(true);
    const findings = (result.structuredContent as { findings: Finding[] }).findings;
    expect(findings[0]).toMatchObject({
      file: 'src/db.ts',
      line: 4,
      verification: 'verified',
      detectedBy: ['claude', 'codex'],
      agreement: 1,
    });
    expect(findings.filter((f) => f.verification === 'unverified')).toHaveLength(2);
    expect((result.content[0] as { text: string }).text).toContain('| 1 | critical | `src/db.ts:4` |');
    // Read back from the SQLite cache (serialised, validated on read): the same findings.
    const again = (await client.callTool({
      name: 'roast',
      arguments: { domain: 'codebase', target: '.', clis: ['claude', 'codex', 'gemini'] },
    })) as CallToolResult;
    expect(again.structuredContent).toMatchObject({ cached: true, findings });
  });
});
