/** Result fixtures the engine and state tests share: an empty roast's metadata and one critic's successful run. */

import type { CriticResult } from '../../src/critics/index.js';
import type { CriticName } from '../../src/engine/config.js';
import type { ResultMeta } from '../../src/engine/types.js';
import { NO_REDACTED_INPUT, NO_SANITIZED } from '../../src/security/untrusted-text.js';

/** A roast's metadata with nothing in it: no critics, nothing skipped, sanitized or redacted. */
export const EMPTY_ROAST_META: ResultMeta = Object.freeze({
  tool: 'roast',
  domain: 'idea',
  critics: [],
  cached: false,
  cacheAgeMs: null,
  skipped: [],
  notes: [],
  sanitized: NO_SANITIZED,
  redactedInput: NO_REDACTED_INPUT,
});

/** `critic` answered `text` at once, exit ok, nothing truncated. */
export function criticResult(
  critic: CriticName,
  text: string,
  over: Partial<CriticResult> = {},
): CriticResult {
  return {
    critic,
    cliVersion: '1.0.0',
    model: undefined,
    argv: [],
    promptSha256: '',
    durationMs: 1,
    exitClass: 'ok',
    outputBytes: text.length,
    truncated: false,
    usage: undefined,
    text,
    ...over,
  };
}
