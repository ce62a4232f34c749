/** Options that bound the server's own memory beside the stores' contents (issue 12). */
import { int, MIB } from './spec.js';

export const MEMORY_OPTIONS = {
  sqliteCacheBytes: int(
    'BRUTALIST_SQLITE_CACHE_BYTES',
    2 * MIB,
    64 * 1024,
    1024 * MIB,
    "SQLite page cache of the state store's connection (its `cache_size`): the memory a stored critique's pages may occupy after it is written. better-sqlite3's own default is 16 MB.",
  ),
  sqliteCheckpointBytes: int(
    'BRUTALIST_SQLITE_CHECKPOINT_BYTES',
    4 * MIB,
    64 * 1024,
    1024 * MIB,
    "Bytes written to the SQLite state store's WAL between two checkpoints on its worker thread. The thread (about 6 fds and 10 MiB RSS) starts when the first checkpoint is due: a server that never writes this much never starts it.",
  ),
} as const;
