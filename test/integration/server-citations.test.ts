// A fake critic emitting tagged and untagged citations: the counts reach structuredContent.citations (validated by
// the real SDK client against the outputSchema) for legal, research and security, and nowhere else.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectInProcess, fakeCritics, makeSandbox, type Sandbox } from '../support/harness.js';

let sandbox: Sandbox;
let closers: Array<() => Promise<void>> = [];
beforeEach(() => {
  sandbox = makeSandbox('brutalist-citations-');
});
afterEach(async () => {
  for (const close of closers.reverse()) await close();
  closers = [];
  sandbox.cleanup();
});

const TAGGED =
  'Breach notice is 72 hours [VERIFIED: https://gdpr-info.eu/art-33-gdpr/ | "without undue delay and, where feasible, not later than 72 hours"]. ' +
  'Your DPA says 5 days [SUPPLIED: DPA section 4 | "within five business days"]. ' +
  'Fines may apply [UNVERIFIED: the regulator site was not reachable].';
const UNTAGGED = 'See CVE-2024-3094 and Smith v. Jones and https://example.com/advisory for more.';

async function roast(domain: string, critique: string): Promise<CallToolResult> {
  const env = { PATH: process.env.PATH, HOME: sandbox.home };
  const c = await connectInProcess(fakeCritics(sandbox), { env });
  closers.push(c.close);
  await c.client.listTools(); // the client validates structuredContent only for tools it listed
  const file = join(sandbox.dir, `critique-${domain}.md`);
  writeFileSync(file, critique);
  return (await c.client.callTool({
    name: 'roast',
    arguments: { domain, context: `terms\n@@fake text_file=${file}`, clis: ['claude'] },
  })) as CallToolResult;
}

describe('citation counts in structuredContent', () => {
  it.each(['legal', 'research', 'security'])(
    '%s: counts verified, supplied, unverified and untagged',
    async (domain) => {
      const result = await roast(domain, `${TAGGED}\n${UNTAGGED}`);
      expect(result.isError).toBeFalsy();
      const { citations } = result.structuredContent as { citations: Record<string, unknown> };
      expect(citations).toEqual({
        verified: 1,
        supplied: 1,
        unverified: 1,
        untagged: 3,
        critics: [{ critic: 'claude', verified: 1, supplied: 1, unverified: 1, untagged: 3 }],
      });
    },
  );

  it('reports nothing for a domain without the citation rule', async () => {
    const result = await roast('idea', TAGGED);
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).not.toHaveProperty('citations');
  });
});

describe('evidence servers on a critic that cannot take them', () => {
  it('answers EVIDENCE_UNSUPPORTED for gemini on a target folder (its settings are never written there), without running it', async () => {
    const env = { PATH: process.env.PATH, HOME: sandbox.home };
    const c = await connectInProcess(fakeCritics(sandbox), { env });
    closers.push(c.close);
    const result = (await c.client.callTool({
      name: 'roast',
      arguments: {
        domain: 'codebase',
        target: sandbox.project,
        clis: ['gemini'],
        mcp_servers: ['playwright'],
      },
    })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect((result.structuredContent as { error: { code: string } }).error.code).toBe('EVIDENCE_UNSUPPORTED');
  });
});
