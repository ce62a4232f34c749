/**
 * The adapter registry: every critic the server knows, and what the rest of the server asks of them by name
 * (binary, default model, endpoint, config dirs, options). Adding a critic is one adapter module and one entry here.
 */
import type { Config, ConfigOf, CriticName } from '../config/index.js';
import { CRITIC_NAMES } from '../config/index.js';
import { ranking } from '../config/spec.js';
import { AGY_OPTIONS, agyAdapter } from './agy.js';
import { CLAUDE_OPTIONS, claudeAdapter } from './claude.js';
import { CODEX_OPTIONS, codexAdapter } from './codex.js';
import { GEMINI_OPTIONS, geminiAdapter } from './gemini.js';
import type { ConfigPaths, CriticAdapter, CriticSettings } from './types.js';

export const ADAPTERS: Readonly<Record<CriticName, CriticAdapter>> = Object.freeze({
  claude: claudeAdapter,
  codex: codexAdapter,
  gemini: geminiAdapter,
  agy: agyAdapter,
});

/** Every critic, in CRITIC_NAMES order. */
export const ALL_ADAPTERS: readonly CriticAdapter[] = Object.freeze(
  CRITIC_NAMES.map((name) => ADAPTERS[name]),
);

/** The critics that run read-only, in registry order: the default preference (the others run only when named). */
export const DEFAULT_CRITIC_PREFERENCE: readonly CriticName[] = Object.freeze(
  ALL_ADAPTERS.filter((a) => a.readOnly).map((a) => a.name),
);

/**
 * The critic options: the choice among critics, then each vendor's own table (typed here one by one, so each
 * option keeps its type in the Config). engine/config.ts joins them to the options below the critics.
 */
export const REGISTRY_OPTIONS = {
  criticPreference: ranking(
    'BRUTALIST_CRITIC_PREFERENCE',
    DEFAULT_CRITIC_PREFERENCE,
    `Order in which the single default critic is chosen (first available wins). Critics left out (${
      ALL_ADAPTERS.filter((a) => !a.readOnly)
        .map((a) => a.name)
        .join(', ') || 'none'
    } by default: they cannot run read-only) run only when a request names them in \`clis\`.`,
    CRITIC_NAMES,
  ),
  ...CLAUDE_OPTIONS,
  ...CODEX_OPTIONS,
  ...GEMINI_OPTIONS,
  ...AGY_OPTIONS,
} as const;

/** The config the critics read: the options below them plus their own. */
export type CriticsConfig = Config & ConfigOf<typeof REGISTRY_OPTIONS>;

/** What `critic` reads from the config: executable, default model, endpoint, invocation choices. */
export function settingsFor(config: CriticsConfig, critic: CriticName): CriticSettings {
  return ADAPTERS[critic].settings(config);
}

/** The configured executable (a name on PATH or an absolute path), as configured; availability resolves it. */
export function binaryFor(config: CriticsConfig, critic: CriticName): string {
  return settingsFor(config, critic).binary;
}

/** The configured custom API endpoint; undefined lets the CLI use its own. */
export function baseUrlFor(config: CriticsConfig, critic: CriticName): string | undefined {
  return settingsFor(config, critic).baseUrl;
}

/** The configured default model; undefined lets the CLI use its own default. */
export function defaultModelFor(config: CriticsConfig, critic: CriticName): string | undefined {
  return settingsFor(config, critic).model;
}

/**
 * Where each CLI keeps its login, settings and session state, from the critic's own env: a sandboxed run shows
 * `writable` read-write (missing ones are skipped; the CLI then writes into the sandbox's throwaway root) and
 * `readOnly` read-only (a service-account key file, gemini's system-defaults file, as the env names them).
 */
export function configPathsFor(critic: CriticName, env: Readonly<Record<string, string>>): ConfigPaths {
  return ADAPTERS[critic].configPaths(env);
}
