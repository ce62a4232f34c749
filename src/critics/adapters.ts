/** The adapter registry and the per-critic config lookups (binary, default model). */
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

/** The configured executable (a name on PATH or an absolute path), as configured: never resolved. */
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
