/**
 * Tools for operators (scope `admin` over HTTP; listed on stdio, whose user owns the machine): the SLO report,
 * the same Markdown or JSON as `brutalist-mcp slo report [--json]`.
 */
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { BrutalistError } from '../errors/index.js';
import { formatSloReport, type SloReport } from '../observability/index.js';

export const SLO_REPORT_TOOL = 'slo_report';

const sloReportSchema = z
  .object({
    format: z
      .enum(['markdown', 'json'])
      .optional()
      .describe('markdown (default): the table `slo report` prints; json: the report object.'),
  })
  .strict();

export const SLO_REPORT_DEFINITION: Tool = {
  name: SLO_REPORT_TOOL,
  title: 'SLO report',
  description:
    'Operators only: the SLOs (availability, errors, latency), error budget left over the budget window, burn rates ' +
    'and the alerts firing, with their runbooks, from the state store every server on it writes to.',
  inputSchema: (() => {
    const schema = z.toJSONSchema(sloReportSchema, { io: 'input' }) as Tool['inputSchema'];
    delete (schema as { $schema?: unknown }).$schema;
    return schema;
  })(),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
};

/** Runs `slo_report`: Markdown in the text, and the report object as structuredContent for JSON. */
export async function callSloReport(raw: unknown, report: () => Promise<SloReport>): Promise<CallToolResult> {
  const parsed = sloReportSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    throw new BrutalistError('INVALID_ARGUMENT', 'Invalid argument format: markdown or json.', {
      data: { field: 'format' },
    });
  }
  const value = await report();
  if (parsed.data.format === 'json') {
    const text = JSON.stringify(value, null, 2);
    return { content: [{ type: 'text', text }], structuredContent: { ...value } };
  }
  return { content: [{ type: 'text', text: formatSloReport(value) }] };
}
