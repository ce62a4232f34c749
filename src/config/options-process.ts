/** Options of one critic process (deadlines, output caps) and of the inputs a request may carry. */
import { delimiter } from 'node:path';
import { SPAWNER_MODES } from './names.js';
import { bool, choice, int, list, MIB, MINUTE, SECOND } from './spec.js';

export const PROCESS_OPTIONS = {
  // ---- process runner
  cliTimeoutMs: int(
    'BRUTALIST_CLI_TIMEOUT_MS',
    10 * MINUTE,
    SECOND,
    2 * 60 * MINUTE,
    'Hard deadline of one critic run.',
  ),
  stallTimeoutMs: int(
    'BRUTALIST_STALL_TIMEOUT_MS',
    5 * MINUTE,
    SECOND,
    2 * 60 * MINUTE,
    'A critic that prints nothing for this long is killed (CLI_STALLED).',
  ),
  killGraceMs: int(
    'BRUTALIST_KILL_GRACE_MS',
    5 * SECOND,
    0,
    MINUTE,
    'Time between SIGTERM and SIGKILL when stopping a critic process group.',
  ),
  maxOutputBytes: int(
    'BRUTALIST_MAX_OUTPUT_BYTES',
    8 * MIB,
    64 * 1024,
    512 * MIB,
    'Answer bytes kept per critic run (UTF-8 of the critique parsed from its stdout, not the raw stream); past it the run is stopped and marked truncated.',
  ),
  spawner: choice(
    'BRUTALIST_SPAWNER',
    'auto',
    "How critics are started: `auto` (Linux: by a small long-lived spawner process, so a spawn never forks the server's heap; elsewhere, or if the spawner cannot start: by the server itself), `off` (always by the server).",
    SPAWNER_MODES,
  ),
  maxStderrBytes: int(
    'BRUTALIST_MAX_STDERR_BYTES',
    64 * 1024,
    1024,
    8 * MIB,
    'Tail of critic stderr kept per run.',
  ),
  // ---- inputs
  roots: list(
    'BRUTALIST_ROOTS',
    [],
    "Allowed filesystem roots (path-delimiter separated), a ceiling: client MCP roots may narrow them, never widen them; empty: the client's roots, else the server's cwd.",
    delimiter,
  ),
  maxContextChars: int(
    'BRUTALIST_MAX_CONTEXT_CHARS',
    200_000,
    1_000,
    10_000_000,
    'Largest `context` (and other long text) argument.',
  ),
  maxFieldChars: int('BRUTALIST_MAX_FIELD_CHARS', 10_000, 100, 1_000_000, 'Largest short string argument.'),
  maxMessageBytes: int(
    'BRUTALIST_MAX_MESSAGE_BYTES',
    16 * MIB,
    MIB,
    1024 * MIB,
    'Largest stdio message or HTTP request body read; a larger one is answered with a JSON-RPC error (HTTP 413) and dropped. Must hold a `context` of maxContextChars (3 UTF-8 bytes per character at worst) plus 1 MiB.',
  ),
  maxPathChars: int('BRUTALIST_MAX_PATH_CHARS', 4_096, 64, 65_536, 'Longest accepted `target` path.'),
  maxPathComponentChars: int('BRUTALIST_MAX_PATH_COMPONENT_CHARS', 255, 16, 4_096, 'Longest path component.'),
  redactInputSecrets: bool(
    'BRUTALIST_REDACT_INPUT_SECRETS',
    true,
    "Redact secret-shaped text (keys, tokens, PEM blocks, JWTs, high-entropy assignments) and the server's credential env values from `context` and the other text arguments before any critic sees them.",
  ),
} as const;
