/**
 * One bounded GET under the URL policy: each hop (redirects included) is checked and connected to its pinned
 * address, the body is cut at maxBytes, and the whole fetch has one deadline on the injected clock.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { BrutalistError } from '../errors/index.js';
import { type Clock, systemClock } from '../infra/index.js';
import type { CheckedUrl, UrlPolicy } from './url-policy.js';

export interface FetchLimits {
  readonly urlFetchTimeoutMs: number;
  readonly urlFetchMaxBytes: number;
  readonly urlFetchMaxRedirects: number;
}

export interface FetchedPage {
  /** The URL that answered (after redirects). */
  readonly url: string;
  readonly status: number;
  readonly contentType: string;
  /** The body as UTF-8, at most urlFetchMaxBytes of it. */
  readonly body: string;
  readonly truncated: boolean;
}

/** A lookup that always answers the checked address: the socket cannot reach what DNS says next time. */
export function pinnedLookup(address: string, family: 4 | 6): LookupFunction {
  return (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  };
}

function fetchError(reason: string): BrutalistError {
  return new BrutalistError('URL_BLOCKED', `The page could not be fetched: ${reason}.`, {
    data: { reason },
  });
}

/** GET `raw` under `policy` within `limits`. Throws URL_BLOCKED (refused, or failed to load). */
export async function fetchUnderPolicy(
  raw: string,
  policy: UrlPolicy,
  limits: FetchLimits,
  clock: Clock = systemClock,
): Promise<FetchedPage> {
  const controller = new AbortController();
  const timer = clock.setTimeout(() => controller.abort(), limits.urlFetchTimeoutMs);
  try {
    let target = await policy.check(raw);
    for (let hop = 0; ; hop++) {
      const response = await get(target, controller.signal);
      const location = response.headers.location;
      if (response.statusCode && response.statusCode >= 300 && response.statusCode < 400 && location) {
        response.resume();
        if (hop >= limits.urlFetchMaxRedirects) throw fetchError('too many redirects');
        target = await policy.check(new URL(location, target.url));
        continue;
      }
      const { body, truncated } = await readBounded(response, limits.urlFetchMaxBytes, controller.signal);
      return {
        url: target.url.href,
        status: response.statusCode ?? 0,
        contentType: String(response.headers['content-type'] ?? ''),
        body,
        truncated,
      };
    }
  } catch (err) {
    if (err instanceof BrutalistError) throw err;
    throw fetchError(controller.signal.aborted ? 'timed out' : 'the connection failed');
  } finally {
    clock.clearTimeout(timer);
  }
}

function get(target: CheckedUrl, signal: AbortSignal): Promise<IncomingMessage> {
  const request = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      target.url,
      {
        method: 'GET',
        lookup: pinnedLookup(target.address, target.family),
        signal,
        headers: { 'user-agent': 'brutalist-mcp citation check', accept: 'text/html,text/plain,*/*' },
      },
      resolve,
    );
    req.on('error', reject);
    req.end();
  });
}

function readBounded(
  response: IncomingMessage,
  maxBytes: number,
  signal: AbortSignal,
): Promise<{ body: string; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (truncated: boolean) => {
      response.destroy();
      resolve({ body: Buffer.concat(chunks).toString('utf8'), truncated });
    };
    response.on('data', (chunk: Buffer) => {
      const room = maxBytes - size;
      chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
      size += Math.min(chunk.length, room);
      if (size >= maxBytes) done(true);
    });
    response.on('end', () => done(false));
    response.on('error', reject);
    signal.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
  });
}
