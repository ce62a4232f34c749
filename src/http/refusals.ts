/**
 * The cheap refusals of a flood: the 429 of an address whose budget is already known spent, written from prepared
 * bytes before the request is read any further (and the connection closed), and their audit lines tallied per
 * address instead of written one by one.
 */
import type { ServerResponse } from 'node:http';
import { BrutalistError } from '../errors/index.js';
import type { HttpAuditEntry } from './hooks.js';
import { jsonRpcCodeOf } from './reply.js';

const WAIT_MARK = 987_654_321;

/** The JSON-RPC error body of replyError for an IP over its budget, around the wait in milliseconds. */
const [BODY_HEAD, BODY_TAIL] = (() => {
  const error = new BrutalistError('TOO_MANY_REQUESTS');
  const text = JSON.stringify({
    jsonrpc: '2.0',
    id: null,
    error: {
      code: jsonRpcCodeOf(error),
      message: error.message,
      data: { code: error.code, retryable: error.retryable, scope: 'ip', retryAfterMs: WAIT_MARK },
    },
  });
  const at = text.indexOf(String(WAIT_MARK));
  return [text.slice(0, at), text.slice(at + String(WAIT_MARK).length)] as const;
})();

/**
 * Answers 429 TOO_MANY_REQUESTS (scope ip) with `Connection: close`: the same body and headers replyError would
 * write, without building an error, and nothing of the request read (node drops the socket after the answer).
 */
export function refuseSpentIp(res: ServerResponse, retryAfterMs: number, origin: string | undefined): void {
  const wait = Math.max(1, Math.ceil(retryAfterMs));
  const body = `${BODY_HEAD}${wait}${BODY_TAIL}`;
  const headers: Record<string, string> = {
    'Retry-After': String(Math.max(1, Math.ceil(wait / 1000))),
    Connection: 'close',
    'Content-Type': 'application/json',
    'Content-Length': String(body.length),
    'Cache-Control': 'no-store',
  };
  if (origin === undefined) headers.Vary = 'Origin';
  res.writeHead(429, headers);
  res.end(body);
}

/**
 * Audit lines of repeated refusals, per key (an address): the first is written, the next ones only counted; the
 * count is written as one line with `repeated` when the key is settled (its next request got past the refusal),
 * when more than `maxKeys` keys are tallied (all are written then), and on flush. Never drops a refusal.
 */
export class RefusalTally {
  private readonly counts = new Map<string, { entry: HttpAuditEntry; repeated: number }>();

  constructor(
    private readonly maxKeys: number,
    private readonly write: (entry: HttpAuditEntry) => void,
  ) {}

  refused(key: string, entry: () => HttpAuditEntry): void {
    const tally = this.counts.get(key);
    if (tally) {
      tally.repeated++;
      return;
    }
    if (this.counts.size >= this.maxKeys) this.flush();
    const first = entry();
    this.write(first);
    if (this.maxKeys > 0) this.counts.set(key, { entry: first, repeated: 0 });
  }

  /** Writes `key`'s count, if any, and forgets it. */
  settle(key: string): void {
    const tally = this.counts.get(key);
    if (!tally) return;
    this.counts.delete(key);
    if (tally.repeated > 0) this.write({ ...tally.entry, repeated: tally.repeated });
  }

  flush(): void {
    for (const key of [...this.counts.keys()]) this.settle(key);
  }
}
