/** The StateStore interface (the seed's, completed): sessions, cursors, results, conversations, cache. */
import type { CriticName } from '../config/index.js';

/** Who owns a piece of state: results, cursors and conversations are only served to their owner. */
export type OwnerId = string;

export interface SessionData {
  readonly owner: OwnerId;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly clientName?: string;
}

/** A cursor: points into a stored result. Looked up by its opaque id; never decoded from client input. */
export interface PaginationToken {
  readonly contextId: string;
  readonly owner: OwnerId;
  readonly offset: number;
  readonly limit: number;
  readonly expiresAt: number;
}

/** A full critique text kept for paging, with the safe metadata returned alongside each page. */
export interface StoredResult {
  readonly contextId: string;
  readonly owner: OwnerId;
  readonly text: string;
  /** JSON-safe metadata (critics, models, durations...), returned with every page. */
  readonly meta: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
}

export interface ConversationTurn {
  readonly role: 'user' | 'critic';
  readonly critic?: CriticName;
  readonly text: string;
  readonly at: number;
}

export interface Conversation {
  readonly contextId: string;
  readonly owner: OwnerId;
  /** What was asked first: tool + domain, so `resume` continues in the same frame. */
  readonly tool: string;
  readonly domain?: string;
  readonly critics: readonly CriticName[];
  readonly turns: readonly ConversationTurn[];
}

/** A cached critique of a request; `storedAt` gives its age. */
export interface CacheEntry {
  readonly text: string;
  readonly meta: Readonly<Record<string, unknown>>;
  readonly storedAt: number;
}

export interface StateStoreStats {
  readonly entries: number;
  readonly bytes: number;
  readonly evictions: number;
  readonly cacheHits: number;
  readonly cacheMisses: number;
}

export interface StateStore {
  setSession(sessionId: string, data: SessionData, ttlMs: number): Promise<void>;
  getSession(sessionId: string): Promise<SessionData | null>;

  setPaginationToken(cursorId: string, token: PaginationToken): Promise<void>;
  getPaginationToken(cursorId: string): Promise<PaginationToken | null>;

  putResult(result: StoredResult, ttlMs: number): Promise<void>;
  getResult(contextId: string): Promise<StoredResult | null>;

  /** Stores the conversation, keeping only the newest `maxTurns` turns. */
  putConversation(conversation: Conversation, ttlMs: number, maxTurns: number): Promise<void>;
  getConversation(contextId: string): Promise<Conversation | null>;

  /** Returns false (and stores nothing) when the entry is larger than the store's cache entry limit. */
  setCache(key: string, entry: CacheEntry, ttlMs: number): Promise<boolean>;
  getCache(key: string): Promise<CacheEntry | null>;

  /** Removes expired entries; returns how many were removed. */
  cleanupExpired(): Promise<number>;
  stats(): StateStoreStats;
  close(): Promise<void>;
}
