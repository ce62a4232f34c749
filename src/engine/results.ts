/** Stored results served in pages: save a critique once, hand out pages by context id, offset or opaque cursor. */
import type { Config } from '../config/index.js';
import { BrutalistError } from '../errors/index.js';
import { type Clock, newId, newToken } from '../infra/index.js';
import { estimateTokens, pageOf, type StateStore } from '../state/index.js';
import type { ResultMeta, ToolResponse } from './types.js';

const CURSOR_PATTERN = /^c_[A-Za-z0-9_-]{16,64}$/;
const CONTEXT_ID_PATTERN = /^[A-Za-z0-9_-]{8,128}$/;

export class ResultPages {
  constructor(
    private readonly store: StateStore,
    private readonly config: Config,
    private readonly clock: Clock,
  ) {}

  /** Stores a finished critique and returns its first page (or the page at `offset`). */
  async save(owner: string, text: string, meta: ResultMeta, limit?: number): Promise<ToolResponse> {
    const contextId = newId();
    await this.store.putResult(
      {
        contextId,
        owner,
        text,
        meta: meta as unknown as Record<string, unknown>,
        createdAt: this.clock.now(),
      },
      this.config.resultTtlMs,
    );
    return this.page(owner, contextId, 0, limit);
  }

  /** A page of a stored result. Another caller's result is reported as not found (existence is not leaked). */
  async page(owner: string, contextId: string, offset = 0, limit?: number): Promise<ToolResponse> {
    if (!CONTEXT_ID_PATTERN.test(contextId)) throw new BrutalistError('CONTEXT_NOT_FOUND');
    const stored = await this.store.getResult(contextId);
    if (!stored || stored.owner !== owner) throw new BrutalistError('CONTEXT_NOT_FOUND');
    const pageLimit = limit ?? this.config.pageChars;
    const slice = pageOf(stored.text, offset, pageLimit);
    let nextCursor: string | null = null;
    if (slice.nextOffset !== null) {
      nextCursor = `c_${newToken()}`;
      await this.store.setPaginationToken(nextCursor, {
        contextId,
        owner,
        offset: slice.nextOffset,
        limit: pageLimit,
        expiresAt: this.clock.now() + this.config.resultTtlMs,
      });
    }
    return {
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
      meta: stored.meta as unknown as ResultMeta,
    };
  }

  /** The page a cursor points to. Malformed, unknown, expired or foreign cursors are all INVALID_CURSOR. */
  async pageByCursor(owner: string, cursor: string, limit?: number): Promise<ToolResponse> {
    if (!CURSOR_PATTERN.test(cursor)) throw new BrutalistError('INVALID_CURSOR');
    const token = await this.store.getPaginationToken(cursor);
    if (!token || token.owner !== owner || token.expiresAt <= this.clock.now()) {
      throw new BrutalistError('INVALID_CURSOR');
    }
    try {
      return await this.page(owner, token.contextId, token.offset, limit ?? token.limit);
    } catch (err) {
      // The result behind a live cursor can still expire or be evicted first.
      if (err instanceof BrutalistError && err.code === 'CONTEXT_NOT_FOUND')
        throw new BrutalistError('INVALID_CURSOR');
      throw err;
    }
  }
}
