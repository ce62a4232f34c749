/** The adapter registry and the per-critic lookups (binary, default model, config dirs a sandbox must show). */
import { isAbsolute, join } from 'node:path';
import type { Config, CriticName } from '../config/index.js';
import { claudeAdapter } from './claude.js';
import { codexAdapter } from './codex.js';
import { geminiAdapter } from './gemini.js';
import type { CriticAdapter } from './types.js';

export const ADAPTERS: Readonly<Record<CriticName, CriticAdapter>> = Object.freeze({
  claude: claudeAdapter,
  codex: codexAdapter,
  gemini: geminiAdapter,
});

/** The configured executable (a name on PATH or an absolute path), as configured; availability resolves it. */
export function binaryFor(config: Config, critic: CriticName): string {
  switch (critic) {
    case 'claude':
      return config.claudeBin;
    case 'codex':
      return config.codexBin;
    case 'gemini':
      return config.geminiBin;
  }
}

/** The configured custom API endpoint; undefined lets the CLI use its own. */
export function baseUrlFor(config: Config, critic: CriticName): string | undefined {
  const url =
    critic === 'claude'
      ? config.claudeBaseUrl
      : critic === 'codex'
        ? config.codexBaseUrl
        : config.geminiBaseUrl;
  return url || undefined;
}

/** The configured default model; undefined lets the CLI use its own default. */
export function defaultModelFor(config: Config, critic: CriticName): string | undefined {
  const model =
    critic === 'claude' ? config.claudeModel : critic === 'codex' ? config.codexModel : config.geminiModel;
  return model || undefined;
}

/**
 * Where each CLI keeps its login, settings and session state, from the critic's own env: a sandboxed run shows
 * `writable` read-write (missing ones are skipped; the CLI then writes into the sandbox's throwaway root) and
 * `readOnly` read-only (a service-account key file, gemini's system-defaults file, as the env names them).
 */
export function configPathsFor(
  critic: CriticName,
  env: Readonly<Record<string, string>>,
): { writable: string[]; readOnly: string[] } {
  const abs = (value: string | undefined) => (value && isAbsolute(value) ? value : undefined);
  const home = abs(env.HOME);
  const keyFile = abs(env.GOOGLE_APPLICATION_CREDENTIALS);
  const readOnly = keyFile && critic !== 'codex' ? [keyFile] : [];
  // gemini's system-defaults file (trust and workspace `.env` off) must be there, or gemini skips it and exits 55.
  const geminiDefaults = abs(env.GEMINI_CLI_SYSTEM_DEFAULTS_PATH);
  if (critic === 'gemini' && geminiDefaults) readOnly.push(geminiDefaults);
  if (!home) return { writable: [], readOnly };
  switch (critic) {
    case 'claude':
      return {
        writable: [abs(env.CLAUDE_CONFIG_DIR) ?? join(home, '.claude'), join(home, '.claude.json')],
        readOnly,
      };
    case 'codex':
      return { writable: [abs(env.CODEX_HOME) ?? join(home, '.codex')], readOnly };
    case 'gemini':
      return { writable: [join(home, '.gemini')], readOnly };
  }
}
