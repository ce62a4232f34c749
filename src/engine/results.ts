/** Stored results served in pages: save a critique once, hand out pages by context id, offset or opaque cursor. */
import { z } from 'zod';
import { criticIdSchema } from '../config/options-routed.js';
import { BrutalistError } from '../errors/index.js';
import { findingSchema, findingsSummarySchema } from '../findings/index.js';
import { type Clock, newId } from '../infra/index.js';
import {
  estimateTokens,
  MIN_PAGE_CHARS,
  pageOfWindow,
  pageWindow,
  type StateStore,
  type TextWindow,
} from '../state/index.js';
import { citationReportSchema } from './citations.js';
import type { Config } from './config.js';
import { signCursor, verifyCursor } from './cursors.js';
import type { ResultMeta, ToolResponse } from './types.js';

const count = z.number().int().nonnegative();
const tokenUsageSchema = z.object({
  inputTokens: z.number().optional(),
  outputTokens: z.number().optional(),
  cachedInputTokens: z.number().optional(),
  totalTokens: z.number().optional(),
  costUsd: z.number().optional(),
});
const criticRunSummarySchema = z.object({
  critic: criticIdSchema,
  ok: z.boolean(),
  model: z.string().nullable(),
  cliVersion: z.string().nullable().optional(),
  argv: z.array(z.string()).optional(),
  promptSha256: z.string().nullable().optional(),
  durationMs: z.number(),
  exitClass: z.string(),
  outputBytes: z.number(),
  truncated: z.boolean(),
  usage: tokenUsageSchema.nullable(),
  stoppedBy: z.enum(['max_tokens', 'max_usd']).optional(),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});

/** ResultMeta as stored (results and cache entries); read back through readResultMeta, never cast. */
export const resultMetaSchema = z.object({
  tool: z.enum(['roast', 'roast_cli_debate']),
  domain: z.string().nullable(),
  critics: z.array(criticRunSummarySchema),
  cached: z.boolean(),
  cacheAgeMs: z.number().nullable(),
  stale: z.boolean().optional(),
  skipped: z.array(z.object({ critic: criticIdSchema, code: z.string() })),
  notes: z.array(z.string()),
  sanitized: z.object({ controls: count, escapes: count, bidi: count, secrets: count, envValues: count }),
  redactedInput: z.object({ secrets: count, envValues: count }),
  findings: z.array(findingSchema).optional(),
  findingsSummary: findingsSummarySchema.optional(),
  citations: citationReportSchema.optional(),
});

/**
 * Stored metadata (a StoredResult's or a CacheEntry's `meta`) checked on the way back: null when it does not have
 * the shape this version writes (another version wrote it, or it was damaged), so callers treat it as absent.
 */
export function readResultMeta(value: unknown): ResultMeta | null {
  const parsed = resultMetaSchema.safeParse(value);
  return parsed.success ? parsed.data : null;
}

const CONTEXT_ID_PATTERN = /^[A-Za-z0-9_-]{8,128}$/;

interface HeldResult {
  readonly owner: string;
  readonly text: string;
  readonly meta: ResultMeta;
  readonly expiresAt: number;
}

function whole(text: string): TextWindow {
  return { text, from: 0, totalChars: text.length };
}

/** Whether a client-supplied context id has the shape this server hands out (else it cannot name anything). */
export function isContextId(value: string): boolean {
  return CONTEXT_ID_PATTERN.test(value);
}

/**
 * Cursors are signed, not stored: HMAC over the page position and expiry, keyed by `cursorSecret` or by a
 * secret generated once and kept in the state store (so every instance on that store accepts them, and
 * they survive restarts).
 */
export class ResultPages {
  private secret: Promise<string> | undefined;
  /**
   * Results the store refused as too large, paged from here for their owner (this instance only); at most
   * oversizedResultsKept (oldest dropped first), each at most the critic output cap, so their memory is bounded.
   */
  private readonly held = new Map<string, HeldResult>();

  constructor(
    private readonly store: StateStore,
    private readonly config: Config,
    private readonly clock: Clock,
  ) {}

  /**
   * Stores a finished critique and returns its first page, cut from the text in hand (no read-back). The context id
   * is the one handed out when the critique started (a caller may already be waiting on it).
   */
  async save(
    owner: string,
    text: string,
    meta: ResultMeta,
    limit?: number,
    contextId: string = newId(),
  ): Promise<ToolResponse> {
    try {
      await this.store.putResult(
        {
          contextId,
          owner,
          text,
          meta: { ...meta },
          createdAt: this.clock.now(),
        },
        this.config.resultTtlMs,
      );
    } catch (err) {
      // Retrying cannot make it fit: keep it here so its owner can still page it.
      if (!(err instanceof BrutalistError && err.code === 'STATE_VALUE_TOO_LARGE')) throw err;
      this.hold(contextId, { owner, text, meta, expiresAt: this.clock.now() + this.config.resultTtlMs });
    }
    return this.cut(owner, contextId, whole(text), meta, 0, limit);
  }

  /** A page of a stored result. Another caller's result is reported as not found (existence is not leaked). */
  async page(owner: string, contextId: string, offset = 0, limit?: number): Promise<ToolResponse> {
    if (!isContextId(contextId)) throw new BrutalistError('CONTEXT_NOT_FOUND');
    const held = this.held.get(contextId);
    if (held && held.expiresAt <= this.clock.now()) this.held.delete(contextId);
    else if (held) {
      if (held.owner !== owner) throw new BrutalistError('CONTEXT_NOT_FOUND');
      return this.cut(owner, contextId, whole(held.text), held.meta, offset, limit);
    }
    // Only the window this page needs is read: a page of a 4 MB critique reads about one page from the store.
    const pageLimit = limit ?? this.config.pageChars;
    const window =
      Number.isSafeInteger(offset) &&
      offset >= 0 &&
      Number.isSafeInteger(pageLimit) &&
      pageLimit >= MIN_PAGE_CHARS
        ? pageWindow(offset, pageLimit)
        : { from: 0, to: 0 }; // pageOfWindow reports the bad argument
    const stored = await this.store.getResultPart(contextId, window.from, window.to);
    const storedMeta = stored && readResultMeta(stored.meta);
    // A result another version stored with other metadata reads as gone, like an expired one.
    if (!stored || stored.owner !== owner || !storedMeta) throw new BrutalistError('CONTEXT_NOT_FOUND');
    return this.cut(owner, contextId, stored, storedMeta, offset, pageLimit);
  }

  private async cut(
    owner: string,
    contextId: string,
    text: TextWindow,
    meta: ResultMeta,
    offset: number,
    limit: number | undefined,
  ): Promise<ToolResponse> {
    const pageLimit = limit ?? this.config.pageChars;
    const slice = pageOfWindow(text, offset, pageLimit);
    let nextCursor: string | null = null;
    if (slice.nextOffset !== null) {
      // Without a secret (state store unreachable) there is no cursor; context_id + offset still pages.
      const secret = await this.cursorSecret().catch(() => null);
      nextCursor =
        secret &&
        signCursor(secret, owner, {
          contextId,
          offset: slice.nextOffset,
          limit: pageLimit,
          expiresAt: this.clock.now() + this.config.resultTtlMs,
        });
    }
    return {
      status: 'done',
      text: slice.text,
      contextId,
      page: {
        offset: slice.offset,
        limit: pageLimit,
        nextOffset: slice.nextOffset,
        totalChars: slice.totalChars,
        estimatedTotalTokens: estimateTokens(slice.totalChars),
        nextCursor,
      },
      meta,
    };
  }

  /** The page a cursor points to. Malformed, unknown, expired or foreign cursors are all INVALID_CURSOR. */
  async pageByCursor(owner: string, cursor: string, limit?: number): Promise<ToolResponse> {
    const token = verifyCursor(await this.cursorSecret(), owner, cursor, this.clock.now());
    try {
      return await this.page(owner, token.contextId, token.offset, limit ?? token.limit);
    } catch (err) {
      // The result behind a live cursor can still expire or be evicted first.
      if (err instanceof BrutalistError && err.code === 'CONTEXT_NOT_FOUND')
        throw new BrutalistError('INVALID_CURSOR');
      throw err;
    }
  }

  private hold(contextId: string, result: HeldResult): void {
    this.held.delete(contextId);
    this.held.set(contextId, result);
    for (const oldest of this.held.keys()) {
      if (this.held.size <= this.config.oversizedResultsKept) break;
      this.held.delete(oldest);
    }
  }

  private cursorSecret(): Promise<string> {
    if (this.config.cursorSecret) return Promise.resolve(this.config.cursorSecret);
    this.secret ??= this.store.sharedSecret('cursor').catch((err: unknown) => {
      this.secret = undefined; // try the store again on the next call
      throw err;
    });
    return this.secret;
  }
}
