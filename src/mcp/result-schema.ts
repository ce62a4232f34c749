/** The one structuredContent shape of `roast` and `roast_cli_debate` results: done, running, cancelled or error. */
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { findingSchema, findingsSummarySchema } from '../findings/index.js';
import { citationsFragment } from './result-citations.js';
import { criticUsageSchema, usageResultShape } from './usage-schema.js';

/*
 * Loose objects everywhere: a client that cached this schema must still accept results from a newer server
 * that adds fields (findings, usage totals, ...). Only what every result of that status carries is required.
 */

const criticSummary = z.looseObject({
  critic: z.string(),
  ok: z.boolean(),
  model: z.string().nullable(),
  durationMs: z.number(),
  exitClass: z.string(),
  outputBytes: z.number().int().min(0),
  truncated: z.boolean(),
  usage: criticUsageSchema,
  stoppedBy: z.enum(['max_tokens', 'max_usd']).optional(),
  error: z.looseObject({ code: z.string(), message: z.string() }).nullable(),
  cliVersion: z.string().nullable().optional(),
  argv: z.array(z.string()).optional(),
  promptSha256: z.string().nullable().optional(),
});

const page = z.looseObject({
  offset: z.number().int().min(0),
  limit: z.number().int().min(1),
  nextOffset: z.number().int().min(0).nullable(),
  totalChars: z.number().int().min(0),
  estimatedTotalTokens: z.number().int().min(0),
  nextCursor: z.string().nullable(),
});

export const RESULT_STATUSES = ['done', 'running', 'cancelled', 'error'] as const;
export type ResultStatus = (typeof RESULT_STATUSES)[number];

export const toolResultSchema = z
  .looseObject({
    text: z
      .string()
      .describe(
        'What to read: the critique page with paging instructions and notes, the wait instructions, or the error.',
      ),
    status: z
      .enum(RESULT_STATUSES)
      .describe(
        'done: a critique page; running: not finished yet, call again with context_id; cancelled; error.',
      ),
    contextId: z.string().optional().describe('Id of this critique for paging, waiting, resume and cancel.'),
    tool: z.enum(['roast', 'roast_cli_debate']).optional(),
    domain: z.string().nullable().optional(),
    page: page.optional(),
    cached: z.boolean().optional(),
    cacheAgeMs: z.number().nullable().optional(),
    stale: z.boolean().optional(),
    skipped: z.array(z.looseObject({ critic: z.string(), code: z.string() })).optional(),
    notes: z.array(z.string()).optional(),
    critics: z.array(criticSummary).optional(),
    droppedEvents: z.number().int().min(0).optional(),
    ...usageResultShape,
    /** Counts of what the output sanitizer removed from the critics' answers, by kind. */
    sanitized: z.record(z.string(), z.number().int().min(0)).optional(),
    /** Counts of secrets redacted from the client's text before any critic saw it, by kind. */
    redactedInput: z.record(z.string(), z.number().int().min(0)).optional(),
    findings: z
      .array(findingSchema.loose())
      .optional()
      .describe(
        'roast, done: every finding, merged across critics, most severe first; `verification` says whether its quote was found in the cited file.',
      ),
    findingsSummary: findingsSummarySchema
      .extend({ bySeverity: z.record(z.string(), z.number().int().min(0)) })
      .loose()
      .optional()
      .describe(
        'roast, done: counts of the findings, dropped entries, and critics that returned no findings block.',
      ),
    elapsedMs: z.number().min(0).optional().describe('running: time since the critique started.'),
    running: z.array(z.string()).optional().describe('running: critics still at work.'),
    ...citationsFragment,
    error: z
      .looseObject({
        code: z.string(),
        message: z.string(),
        retryable: z.boolean(),
        data: z.record(z.string(), z.unknown()),
      })
      .optional(),
  })
  .describe('A roast result; `text` holds everything the model needs to read.');

type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** The structuredContent the formatter builds (read-only: the engine's records are read-only too). */
export type ToolResultContent = DeepReadonly<z.infer<typeof toolResultSchema>>;

/** The JSON Schema declared as the tools' outputSchema. */
export function resultOutputSchema(): NonNullable<Tool['outputSchema']> {
  const schema = z.toJSONSchema(toolResultSchema, { io: 'output', unrepresentable: 'any' });
  delete (schema as { $schema?: unknown }).$schema;
  return schema as NonNullable<Tool['outputSchema']>;
}
