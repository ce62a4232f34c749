// The tool schemas a client lists advertise the configured text bounds, the ones the engine enforces.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectInProcess, fakeCritics, makeSandbox, type Sandbox } from '../support/harness.js';

let sandbox: Sandbox;
beforeEach(() => {
  sandbox = makeSandbox('brutalist-limits-');
});
afterEach(() => sandbox.cleanup());

type Props = Record<string, { maxLength?: number }>;

describe('advertised text bounds', () => {
  it('lists maxContextChars and maxFieldChars as the maxLength of long and short text arguments', async () => {
    const connection = await connectInProcess(
      fakeCritics(sandbox, { maxContextChars: 5_000, maxFieldChars: 300 }),
      { env: { PATH: process.env.PATH, HOME: sandbox.home } },
    );
    try {
      const { tools } = await connection.client.listTools();
      const props = (name: string) =>
        (tools.find((t) => t.name === name)?.inputSchema.properties ?? {}) as Props;
      expect(props('roast').context?.maxLength).toBe(5_000);
      expect(props('roast').target?.maxLength).toBe(300);
      expect(props('roast_cli_debate').context?.maxLength).toBe(5_000);
      expect(props('roast_cli_debate').topic?.maxLength).toBe(5_000);
      expect(props('roast').threatModel?.maxLength).toBe(300);
      expect(props('brutalist_discover').intent?.maxLength).toBe(5_000);
      // A context over the bound is refused with the engine's code for it.
      const result = (await connection.client.callTool({
        name: 'roast',
        arguments: { domain: 'idea', context: 'x'.repeat(5_001) },
      })) as CallToolResult;
      expect(result.isError).toBe(true);
      expect((result.structuredContent as { error?: { code: string } }).error?.code).toBe('INPUT_TOO_LARGE');
    } finally {
      await connection.close();
    }
  });
});
