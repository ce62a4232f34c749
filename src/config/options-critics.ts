/** Options of the critics that no vendor owns: env passthrough, availability probes, confinement, parallelism. */
import { CRITIC_NAMES, SANDBOX_MODES } from './names.js';
import { choice, int, list, MINUTE, SECOND, str } from './spec.js';

export const CRITIC_OPTIONS = {
  // ---- critics (each vendor's own options are declared by its adapter: src/critics/<vendor>.ts)
  extraEnv: list(
    'BRUTALIST_EXTRA_ENV',
    [],
    'Extra environment variable names passed through to every critic (beyond the built-in allowlist).',
  ),
  availabilityTtlMs: int(
    'BRUTALIST_AVAILABILITY_TTL_MS',
    5 * MINUTE,
    0,
    24 * 60 * MINUTE,
    'How long a `--version` probe result (and a login check: doctor, the roster) is trusted.',
  ),
  probeTimeoutMs: int(
    'BRUTALIST_PROBE_TIMEOUT_MS',
    10 * SECOND,
    100,
    MINUTE,
    'Deadline of one `--version` probe or login status command (`claude auth status`, `codex login status`).',
  ),
  // ---- confinement (docs/operations.md#confinement)
  sandbox: choice(
    'BRUTALIST_SANDBOX',
    'auto',
    'Mount-namespace confinement of critics: `auto` (bwrap when it works here, else unconfined with a note in doctor and the roster), `bwrap` (required: critics fail with SANDBOX_UNAVAILABLE without it), `off`.',
    SANDBOX_MODES,
  ),
  bwrapBin: str(
    'BRUTALIST_BWRAP_BIN',
    'bwrap',
    'bubblewrap executable (name looked up in the absolute PATH entries, or an absolute path).',
  ),
  workDir: str(
    'BRUTALIST_WORK_DIR',
    '',
    'Folder under which each abstract-domain or debate critic run gets a fresh empty private dir (0700, removed after the run) as its cwd; empty: the OS temp dir.',
  ),
  maxParallelCritics: int(
    'BRUTALIST_MAX_PARALLEL_CRITICS',
    3,
    1,
    CRITIC_NAMES.length,
    'Most critics one request may run in parallel (only when the caller lists several in `clis`).',
  ),
} as const;
