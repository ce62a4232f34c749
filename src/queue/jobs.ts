/** What travels on the queue: one critic run's job (request, workplace, priority, deadline), its answer, its error. */
import { z } from 'zod';
import { EVIDENCE_SERVER_NAME } from '../config/options-evidence.js';
import { criticIdSchema, routedClientSchema } from '../config/options-routed.js';
import type { CriticRequest, CriticResult } from '../critics/index.js';
import { CRITIC_NAMES, type CriticName } from '../engine/config.js';
import { BrutalistError, ERROR_CODES, type ErrorCode } from '../errors/index.js';

/** One BullMQ queue per critic, so each critic's fleet-wide cap is the queue's global concurrency (ADR 0041). */
export function queueNameOf(critic: CriticName): string {
  return `critic-${critic}`;
}

/** Admission levels 0 (critical) .. 3 (batch) map to BullMQ priorities 1 .. 4 (lower runs first; 0 means none). */
export function queuePriorityOf(level: number): number {
  return Math.min(Math.max(Math.trunc(level), 0), 3) + 1;
}

/** The Redis channel workers listen on for cancels, and the one a job's progress is published on. */
export function cancelChannel(prefix: string): string {
  return `${prefix}:cancel`;
}
export function progressChannel(prefix: string, jobId: string): string {
  return `${prefix}:progress:${jobId}`;
}
/** The channel a job's answer is published on by its worker, once, the moment the run ends (ADR 0041). */
export function replyChannel(prefix: string, jobId: string): string {
  return `${prefix}:reply:${jobId}`;
}

/** A job's outcome as it travels: the worker's return value, or its failure text (an encoded error). */
export type JobOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly reason: string };

const outcomeSchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), reason: z.string() }),
]);

export function encodeOutcome(outcome: JobOutcome): string {
  return JSON.stringify(outcome);
}

/** A reply message read off Redis: undefined when it is not one (never trusted, like job data). */
export function decodeOutcome(text: string): JobOutcome | undefined {
  const parsed = outcomeSchema.safeParse(parseJson(text));
  if (!parsed.success) return undefined;
  return parsed.data.ok ? { ok: true, value: parsed.data.value } : { ok: false, reason: parsed.data.reason };
}

/** A routed critic's route (the worker checks it again against its own config and env before running). */
const carriedRouteSchema = z
  .object({ source: z.enum(['config', 'call']), client: routedClientSchema.omit({ configDir: true }) })
  .strict();

const jobDataSchema = z.object({
  /** The vendor CLI (a routed critic runs claude, its route below). */
  critic: z.enum(CRITIC_NAMES),
  request: z.object({ prompt: z.string(), model: z.string().optional() }),
  route: carriedRouteSchema.optional(),
  fileAccess: z.enum(['read', 'none']),
  cwd: z.string().optional(),
  root: z.string().optional(),
  /** Evidence MCP server names (the worker's registry must hold each) and web tools, as a local run has them. */
  evidence: z.array(z.string().regex(EVIDENCE_SERVER_NAME)).max(8).optional(),
  webTools: z.boolean().optional(),
  /** Epoch ms past which the run must not start (and is killed when running). */
  deadlineAt: z.number().int(),
});

export type CriticJobData = z.infer<typeof jobDataSchema>;

/** Job data is read back from Redis: checked, never trusted (another deployment's key prefix could collide). */
export function parseJobData(raw: unknown): CriticJobData {
  const parsed = jobDataSchema.safeParse(raw);
  if (!parsed.success) throw new BrutalistError('INTERNAL_ERROR', 'A queued critic run had malformed data.');
  return parsed.data;
}

/** The run's request without its route (the worker resolves the carried route itself: routeOnWorker). */
export function requestOf(data: CriticJobData): CriticRequest {
  return data.request.model === undefined ? { prompt: data.request.prompt } : data.request;
}

const resultSchema = z.object({
  /** A native critic, or a routed critic's id (its run's result is named by the route). */
  critic: criticIdSchema,
  cliVersion: z.string().optional(),
  model: z.string().optional(),
  argv: z.array(z.string()),
  promptSha256: z.string(),
  durationMs: z.number(),
  exitClass: z.string(),
  outputBytes: z.number(),
  truncated: z.boolean(),
  usage: z
    .object({
      inputTokens: z.number().optional(),
      outputTokens: z.number().optional(),
      cachedInputTokens: z.number().optional(),
      totalTokens: z.number().optional(),
      costUsd: z.number().optional(),
    })
    .optional(),
  text: z.string(),
});

/** A worker's answer as JSON-safe data (undefined fields dropped: JSON has no undefined). */
export function encodeResult(result: CriticResult): Record<string, unknown> {
  return JSON.parse(JSON.stringify(result)) as Record<string, unknown>;
}

export function decodeResult(raw: unknown): CriticResult {
  const parsed = resultSchema.safeParse(raw);
  if (!parsed.success) throw new BrutalistError('INTERNAL_ERROR', 'A worker returned a malformed result.');
  const r = parsed.data;
  return { ...r, cliVersion: r.cliVersion, model: r.model, usage: r.usage };
}

/** The prefix marking a failedReason as an encoded BrutalistError (BullMQ keeps only a message string). */
const ERROR_MARK = 'brutalist:';

/** A BrutalistError as a BullMQ failure message: its code, its (already safe) message and its data. */
export function encodeError(error: BrutalistError): string {
  return `${ERROR_MARK}${JSON.stringify({ code: error.code, message: error.message, data: error.data })}`;
}

/** BullMQ's own text when a job's workers all died (stalled past maxStalledCount). */
const STALLED_PATTERN = /stalled more than allowable limit/i;

const encodedErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  data: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())])),
});

/** The error a front instance gives its caller for a job's failedReason; unknown text never reaches the client. */
export function decodeError(reason: string | undefined): BrutalistError {
  const text = reason ?? '';
  if (STALLED_PATTERN.test(text)) return new BrutalistError('WORKER_LOST');
  const at = text.indexOf(ERROR_MARK);
  const parsed =
    at < 0 ? undefined : encodedErrorSchema.safeParse(parseJson(text.slice(at + ERROR_MARK.length)));
  if (parsed?.success && isErrorCode(parsed.data.code)) {
    return new BrutalistError(parsed.data.code, parsed.data.message, { data: parsed.data.data });
  }
  return new BrutalistError('INTERNAL_ERROR', 'A worker failed the critic run.');
}

function isErrorCode(code: string): code is ErrorCode {
  return Object.hasOwn(ERROR_CODES, code);
}

/** JSON read back from Redis: undefined when it does not parse (then the schema check refuses it). */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
