/** Argument checks and value encoding shared by every StateStore, so all of them fail and answer alike. */
import { BrutalistError } from '../errors/index.js';
import { snapshot } from './snapshot.js';
import type { RunRecord, TaskList, TaskRecord } from './types.js';

export const DEFAULT_SWEEP_BATCH_SIZE = 10_000;
export const DEFAULT_MAX_VALUE_DEPTH = 32;
/** How long the newest fence granted on a key is remembered, so a stale writer can be refused. */
export const FENCE_RETENTION_MS = 24 * 60 * 60 * 1000;

export function positiveInt(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new BrutalistError(
      'CONFIG_INVALID',
      `${name} must be an integer >= 1, got ${String(value)} (${typeof value})`,
      { data: { option: name } },
    );
  }
  return value;
}

export function checkKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new BrutalistError('INVALID_ARGUMENT', 'A state key must be a non-empty string.');
  }
  return key;
}

export function checkTtl(ttlMs: unknown): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new BrutalistError('INVALID_ARGUMENT', 'ttlMs must be a finite number > 0.', {
      data: { ttlMs: typeof ttlMs === 'number' ? ttlMs : String(ttlMs) },
    });
  }
  return ttlMs;
}

export function checkMaxTurns(maxTurns: unknown): number {
  if (typeof maxTurns !== 'number' || !Number.isInteger(maxTurns) || maxTurns < 1) {
    throw new BrutalistError('INVALID_ARGUMENT', 'maxTurns must be an integer >= 1.', {
      data: { maxTurns: typeof maxTurns === 'number' ? maxTurns : String(maxTurns) },
    });
  }
  return maxTurns;
}

export function checkCursorExpiry(expiresAt: unknown): number {
  if (typeof expiresAt !== 'number' || Number.isNaN(expiresAt)) {
    throw new BrutalistError('INVALID_ARGUMENT', 'A cursor needs a numeric expiresAt.');
  }
  return expiresAt;
}

/** A text window [from, to) in UTF-16 code units, as getResultPart takes it. */
export function checkWindow(from: unknown, to: unknown): { from: number; to: number } {
  if (
    !Number.isSafeInteger(from) ||
    !Number.isSafeInteger(to) ||
    (from as number) < 0 ||
    (to as number) < (from as number)
  ) {
    throw new BrutalistError('INVALID_ARGUMENT', 'A result window needs integers 0 <= from <= to.', {
      data: {
        from: typeof from === 'number' ? from : String(from),
        to: typeof to === 'number' ? to : String(to),
      },
    });
  }
  return { from: from as number, to: to as number };
}

/** The part of `text` in [from, to), clamped to the text, as getResultPart answers it. */
export function clampWindow(totalChars: number, from: number, to: number): { from: number; to: number } {
  const start = Math.min(from, totalChars);
  return { from: start, to: Math.min(Math.max(to, start), totalChars) };
}

export function checkLockTtl(ttlMs: unknown): number {
  const ttl = checkTtl(ttlMs);
  return Math.max(1, Math.ceil(ttl));
}

export function checkCounterStep(by: unknown): number {
  if (typeof by !== 'number' || !Number.isSafeInteger(by)) {
    throw new BrutalistError('INVALID_ARGUMENT', 'A counter step must be a safe integer.');
  }
  return by;
}

/**
 * The JSON text a durable store keeps: the value is first checked and normalized by the same snapshot
 * rules as the memory store (plain JSON data, bounded depth), so every store gives back the same shape.
 */
export function encodeValue(value: unknown, maxDepth: number): string {
  const snap = snapshot(value, { maxBytes: Number.POSITIVE_INFINITY, maxDepth });
  if (!snap.ok) throw new BrutalistError('INVALID_ARGUMENT', 'State values must be plain JSON data.');
  return JSON.stringify(snap.value);
}

const RUN_STATUSES: ReadonlySet<unknown> = new Set(['running', 'done', 'failed', 'cancelled']);
const RUN_TOOLS: ReadonlySet<unknown> = new Set(['roast', 'roast_cli_debate']);

/** A task as read back from a store (checked like a run record: another version may have written it). */
export function isTaskRecord(value: unknown): value is TaskRecord {
  if (typeof value !== 'object' || value === null) return false;
  const t = value as Record<string, unknown>;
  return (
    typeof t.taskId === 'string' &&
    typeof t.owner === 'string' &&
    RUN_TOOLS.has(t.tool) &&
    typeof t.createdAt === 'number' &&
    typeof t.ttlMs === 'number' &&
    typeof t.pollIntervalMs === 'number' &&
    (t.error === undefined || isRunError(t.error))
  );
}

export function isTaskList(value: unknown): value is TaskList {
  if (typeof value !== 'object' || value === null) return false;
  const l = value as Record<string, unknown>;
  return (
    typeof l.owner === 'string' &&
    Array.isArray(l.tasks) &&
    l.tasks.every(
      (t: unknown) =>
        typeof t === 'object' &&
        t !== null &&
        typeof (t as Record<string, unknown>).taskId === 'string' &&
        typeof (t as Record<string, unknown>).expiresAt === 'number',
    )
  );
}

function isRunError(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const e = value as Record<string, unknown>;
  return (
    typeof e.code === 'string' &&
    typeof e.message === 'string' &&
    typeof e.data === 'object' &&
    e.data !== null
  );
}

/** A run record as read back from a store (any shape may be there: another version, a hand edit). */
export function isRunRecord(value: unknown): value is RunRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r.contextId === 'string' &&
    typeof r.owner === 'string' &&
    RUN_TOOLS.has(r.tool) &&
    RUN_STATUSES.has(r.status) &&
    typeof r.instanceId === 'string' &&
    typeof r.startedAt === 'number' &&
    typeof r.heartbeatAt === 'number' &&
    Array.isArray(r.running) &&
    r.running.every((c) => typeof c === 'string') &&
    (r.error === undefined || isRunError(r.error)) &&
    (r.replay === undefined || isRunReplay(r.replay))
  );
}

function isRunReplay(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r.args === 'object' &&
    r.args !== null &&
    Array.isArray(r.roots) &&
    r.roots.every((root) => typeof root === 'string') &&
    (r.timeoutMs === undefined || typeof r.timeoutMs === 'number')
  );
}
