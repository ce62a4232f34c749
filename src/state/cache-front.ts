/** CacheFront: an in-process LRU (bounded by bytes) over a StateStore's cache, with compression of large entries. */
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { Clock } from '../infra/index.js';
import { ForwardingStateStore } from './forwarding.js';
import type { CacheEntry, StateStore, StateStoreStats } from './types.js';
import { checkKey, checkTtl } from './validate.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** Marks a stored cache entry whose text and meta are gzip-compressed (base64) in `meta`. */
const COMPRESSED = 'brutalistCompressed';
/** Per-entry bookkeeping in the front (map slot, key, record), on top of 2 bytes per UTF-16 unit. */
export const FRONT_ENTRY_OVERHEAD_BYTES = 256;

export interface CacheFrontOptions {
  /** Bytes the in-process LRU may hold (estimate: 2 per UTF-16 unit + overhead); 0: no front, compression only. */
  readonly maxBytes: number;
  /** Entries whose text is at least this many UTF-16 units are stored gzip-compressed; 0: never. */
  readonly compressMinBytes: number;
  /** Longest an entry is served from the front, from its storedAt (the engine writes with this TTL too). */
  readonly maxAgeMs: number;
  /** Largest entry accepted, measured before compression (JSON characters); larger ones are refused (false). */
  readonly maxEntryBytes: number;
  readonly clock: Clock;
}

export interface CacheFrontStats {
  readonly hits: number;
  readonly entries: number;
  readonly bytes: number;
  readonly maxBytes: number;
  readonly compressedWrites: number;
}

interface FrontEntry {
  readonly entry: CacheEntry;
  readonly bytes: number;
  readonly expiresAt: number;
}

/**
 * Every StateStore call passes through unchanged except the cache: reads look in the front first, then
 * the store (decompressing, and keeping a copy in front); writes go to the store (compressed above the
 * threshold) and, when accepted, to the front. A fenced write the store refuses never enters the front.
 * The front is per process: another instance's newer entry for a key shows here once this copy expires
 * or is evicted (keys include the target's content fingerprint, so an edit is a new key anyway).
 */
export class CacheFront extends ForwardingStateStore {
  private readonly front = new Map<string, FrontEntry>();
  private frontBytes = 0;
  private frontHits = 0;
  private storeHits = 0;
  private misses = 0;
  private compressedWrites = 0;

  constructor(
    inner: StateStore,
    private readonly options: CacheFrontOptions,
  ) {
    super(inner);
  }

  override async getCache(key: string): Promise<CacheEntry | null> {
    const now = this.options.clock.now();
    const held = this.front.get(key);
    if (held) {
      this.front.delete(key);
      if (held.expiresAt > now) {
        this.front.set(key, held);
        this.frontHits++;
        return held.entry;
      }
      this.frontBytes -= held.bytes;
    }
    const stored = await this.inner.getCache(key);
    if (!stored) {
      this.misses++;
      return null;
    }
    const entry = await decode(stored);
    if (!entry) {
      // An entry that does not decompress is a miss, never a failed request.
      this.misses++;
      return null;
    }
    this.storeHits++;
    this.remember(key, entry, entry.storedAt + this.options.maxAgeMs);
    return entry;
  }

  override async setCache(key: string, entry: CacheEntry, ttlMs: number, fence?: number): Promise<boolean> {
    checkKey(key);
    if (ttlMs !== 0) checkTtl(ttlMs);
    if (JSON.stringify(entry).length > this.options.maxEntryBytes) return false;
    const compress = this.options.compressMinBytes > 0 && entry.text.length >= this.options.compressMinBytes;
    const stored = compress ? await encode(entry) : entry;
    const ok = await this.inner.setCache(key, stored, ttlMs, fence);
    if (ok) {
      if (compress) this.compressedWrites++;
      const ttl = Number.isFinite(ttlMs) ? ttlMs : 0;
      this.remember(
        key,
        entry,
        Math.min(this.options.clock.now() + ttl, entry.storedAt + this.options.maxAgeMs),
      );
    } else {
      this.forget(key);
    }
    return ok;
  }

  frontStats(): CacheFrontStats {
    return {
      hits: this.frontHits,
      entries: this.front.size,
      bytes: this.frontBytes,
      maxBytes: this.options.maxBytes,
      compressedWrites: this.compressedWrites,
    };
  }

  override async stats(): Promise<StateStoreStats> {
    const inner = await this.inner.stats();
    return {
      ...inner,
      cacheHits: this.frontHits + this.storeHits,
      cacheMisses: this.misses,
      cacheFront: this.frontStats(),
    };
  }

  private remember(key: string, entry: CacheEntry, expiresAt: number): void {
    this.forget(key);
    const bytes =
      FRONT_ENTRY_OVERHEAD_BYTES + 2 * (key.length + entry.text.length + JSON.stringify(entry.meta).length);
    if (bytes > this.options.maxBytes || expiresAt <= this.options.clock.now()) return;
    while (this.frontBytes + bytes > this.options.maxBytes) {
      const oldest = this.front.keys().next();
      if (oldest.done) break;
      this.forget(oldest.value);
    }
    this.front.set(key, { entry, bytes, expiresAt });
    this.frontBytes += bytes;
  }

  private forget(key: string): void {
    const held = this.front.get(key);
    if (!held) return;
    this.front.delete(key);
    this.frontBytes -= held.bytes;
  }

  // ---- everything else passes through (ForwardingStateStore), except sweeping and closing the front

  override async cleanupExpired(): Promise<number> {
    const now = this.options.clock.now();
    for (const [key, held] of this.front) if (held.expiresAt <= now) this.forget(key);
    return this.inner.cleanupExpired();
  }
  override async close(): Promise<void> {
    this.front.clear();
    this.frontBytes = 0;
    await this.inner.close();
  }
}

async function encode(entry: CacheEntry): Promise<CacheEntry> {
  const packed = await gzipAsync(Buffer.from(JSON.stringify({ text: entry.text, meta: entry.meta })));
  return {
    text: '',
    meta: { [COMPRESSED]: 'gzip', data: packed.toString('base64') },
    storedAt: entry.storedAt,
  };
}

async function decode(stored: CacheEntry): Promise<CacheEntry | null> {
  if (stored.meta?.[COMPRESSED] !== 'gzip') return stored;
  try {
    const data = stored.meta.data;
    if (typeof data !== 'string') throw new Error('no data');
    const unpacked = JSON.parse((await gunzipAsync(Buffer.from(data, 'base64'))).toString('utf8')) as {
      text: string;
      meta: Record<string, unknown>;
    };
    return { text: unpacked.text, meta: unpacked.meta, storedAt: stored.storedAt };
  } catch {
    return null;
  }
}
