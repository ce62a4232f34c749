/** Follow-ups on an earlier critique: a cancel, a page by cursor, or a wait on its context id. */
import { BrutalistError } from '../errors/index.js';
import type { BackgroundRuns } from './background-runs.js';
import { isContextId, type ResultPages } from './results.js';
import type { EngineResult, PagingArgs, RequestContext, ToolId } from './types.js';

/**
 * A follow-up on an earlier critique: `cancel` stops it; `cursor` pages it; `context_id` (without resume) waits for
 * it while it runs, then pages it. Null: a new request.
 */
export async function followUp(
  parts: { readonly runs: BackgroundRuns; readonly pages: ResultPages },
  tool: ToolId,
  args: PagingArgs & { readonly cancel?: boolean },
  ctx: RequestContext,
  resuming: boolean,
): Promise<EngineResult | null> {
  if (args.cancel) {
    if (!args.context_id) {
      throw new BrutalistError('INVALID_ARGUMENT', 'cancel needs the context_id of a running critique.', {
        data: { field: 'context_id' },
      });
    }
    if (!isContextId(args.context_id)) throw new BrutalistError('CONTEXT_NOT_FOUND');
    return parts.runs.cancel(ctx.owner, args.context_id, tool);
  }
  if (args.cursor) return parts.pages.pageByCursor(ctx.owner, args.cursor, args.limit);
  if (args.context_id && !resuming) {
    if (!isContextId(args.context_id)) throw new BrutalistError('CONTEXT_NOT_FOUND');
    const waited = await parts.runs.follow(ctx.owner, args.context_id, ctx);
    // The first page in hand answers a plain wait; an offset or another page size reads the stored text.
    if (waited && (waited.status !== 'done' || (args.offset === undefined && args.limit === undefined))) {
      return waited;
    }
    return parts.pages.page(ctx.owner, args.context_id, args.offset ?? 0, args.limit);
  }
  if (args.offset !== undefined && args.offset > 0) {
    throw new BrutalistError('INVALID_ARGUMENT', 'offset needs the context_id of an earlier result.', {
      data: { field: 'offset' },
    });
  }
  return null;
}
