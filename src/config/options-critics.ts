/** Options of the critics: executables, models, endpoints, availability probes and confinement. */
import { CRITIC_NAMES, SANDBOX_MODES } from './names.js';
import { bool, choice, int, list, MINUTE, ranking, SECOND, str, url } from './spec.js';

export const CRITIC_OPTIONS = {
  // ---- critics
  criticPreference: ranking(
    'BRUTALIST_CRITIC_PREFERENCE',
    CRITIC_NAMES,
    'Order in which the single default critic is chosen (first available wins).',
    CRITIC_NAMES,
  ),
  claudeBin: str('BRUTALIST_CLAUDE_BIN', 'claude', 'Claude Code executable (name on PATH or absolute path).'),
  codexBin: str('BRUTALIST_CODEX_BIN', 'codex', 'Codex executable (name on PATH or absolute path).'),
  geminiBin: str('BRUTALIST_GEMINI_BIN', 'gemini', 'Gemini CLI executable (name on PATH or absolute path).'),
  claudeModel: str('BRUTALIST_CLAUDE_MODEL', '', 'Default model for claude (empty: the CLI default).'),
  codexModel: str('BRUTALIST_CODEX_MODEL', '', 'Default model for codex (empty: the CLI default).'),
  geminiModel: str('BRUTALIST_GEMINI_MODEL', '', 'Default model for gemini (empty: the CLI default).'),
  extraEnv: list(
    'BRUTALIST_EXTRA_ENV',
    [],
    'Extra environment variable names passed through to every critic (beyond the built-in allowlist).',
  ),
  // Custom endpoints (gateways, proxies): docs/operations.md#custom-endpoints
  claudeBaseUrl: url(
    'BRUTALIST_CLAUDE_BASE_URL',
    'Anthropic API base URL for claude (sets ANTHROPIC_BASE_URL; e.g. https://gateway.example/anthropic); empty: the CLI default.',
  ),
  codexBaseUrl: url(
    'BRUTALIST_CODEX_BASE_URL',
    'OpenAI Responses API base URL for codex, incl. `/v1` (a custom `brutalist` provider keyed by OPENAI_API_KEY); empty: the CLI default.',
  ),
  geminiBaseUrl: url(
    'BRUTALIST_GEMINI_BASE_URL',
    'Gemini API base URL for gemini (sets GOOGLE_GEMINI_BASE_URL); empty: the CLI default.',
  ),
  geminiTrustWorkspace: bool(
    'BRUTALIST_GEMINI_TRUST_WORKSPACE',
    false,
    'UNSAFE for targets you did not write: gemini trusts the target and loads its .gemini settings (MCP servers, hooks, tools) and .env. Off: gemini runs the target untrusted and loads nothing from it (docs/security.md).',
  ),
  geminiSystemDefaultsPath: str(
    'BRUTALIST_GEMINI_SYSTEM_DEFAULTS_PATH',
    '',
    'Gemini system-defaults settings file that lets gemini run an untrusted target (folder trust and local .env off); gemini reads it only when it and its folders are root-owned and not group/world-writable. Empty: the copy shipped in assets/gemini/.',
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
    3,
    'Most critics one request may run in parallel (only when the caller lists several in `clis`).',
  ),
} as const;
