/** Options of MCP tasks (spec 2025-11-25): how long a task is kept, the poll hint, and how many a principal holds. */
import { int, MINUTE, SECOND } from './spec.js';

export const TASK_OPTIONS = {
  taskTtlMs: int(
    'BRUTALIST_TASK_TTL_MS',
    60 * MINUTE,
    MINUTE,
    30 * 24 * 60 * MINUTE,
    'How long an MCP task is kept after it is created: the default and the most a client may ask for (a shorter ask is kept; at least one minute). At most resultTtlMs.',
  ),
  taskPollIntervalMs: int(
    'BRUTALIST_TASK_POLL_INTERVAL_MS',
    2 * SECOND,
    100,
    MINUTE,
    'The poll interval an MCP task suggests to its client (tasks/get), and how often a blocked tasks/result re-reads it.',
  ),
  taskMaxPerPrincipal: int(
    'BRUTALIST_TASK_MAX_PER_PRINCIPAL',
    32,
    1,
    10_000,
    'MCP tasks one principal holds at once; a new task drops the oldest finished one from tasks/list (it can still be read by id until it expires), and is refused with TOO_MANY_TASKS when all are still working.',
  ),
  taskMaxTotal: int(
    'BRUTALIST_TASK_MAX_TOTAL',
    10_000,
    1,
    1_000_000,
    'Live MCP tasks the memory or SQLite state store holds in all: task records are never evicted by its LRU, so a new task past this is refused with TOO_MANY_TASKS (Redis evicts none of our keys: not bounded there).',
  ),
  taskListPageSize: int(
    'BRUTALIST_TASK_LIST_PAGE_SIZE',
    50,
    1,
    1_000,
    'MCP tasks per tasks/list page (each is read from the state store).',
  ),
} as const;
