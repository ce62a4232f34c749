/** Options of routed critics (issue 20, ADR 0048): claude runs through Anthropic-compatible gateways. */
import { z } from 'zod';
import { type CriticId, isCriticName } from './names.js';
import { int, list, type OptionSpec, str } from './spec.js';

/** A routed critic's id: how calls, agents, models and the roster name it (never a native critic's name). */
export const ROUTED_ID_RE = /^[a-z][a-z0-9_-]{0,31}$/;
/** A critic id as stored (results, cache entries): a native name or a routed id. */
export const criticIdSchema = z.custom<CriticId>(
  (value) => typeof value === 'string' && (isCriticName(value) || ROUTED_ID_RE.test(value)),
  { error: 'a critic name or routed client id' },
);
/** An env variable name a routed client may read its token from. */
export const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
/** A model name for a gateway (it lands in argv and env): a plain identifier. */
export const ROUTED_MODEL_RE = /^[A-Za-z0-9][\w.:/@[\]-]{0,127}$/;

/**
 * One routed client as the earlier version took it, plus `configDir` (only the config file may set it: a tool
 * call's is ignored). The token is never a value here, only the name of the env variable that holds it.
 */
export const routedClientSchema = z
  .object({
    id: z.string().regex(ROUTED_ID_RE, { error: 'an id of 1-32 lower-case letters, digits, - or _' }),
    provider: z.literal('claude', { error: 'provider "claude"' }),
    baseUrl: z.string().min(1).max(2048),
    authTokenEnv: z.string().regex(ENV_NAME_RE, { error: 'an environment variable name' }),
    model: z.string().regex(ROUTED_MODEL_RE, { error: 'a plain model identifier' }),
    smallFastModel: z.string().regex(ROUTED_MODEL_RE, { error: 'a plain model identifier' }).optional(),
    configDir: z.string().min(1).max(4096).optional(),
  })
  .strict();

export type RoutedClientSpec = z.infer<typeof routedClientSchema>;

/** The config-file list of named clients; from the env, a JSON array (BRUTALIST_ROUTED_CLIENTS). */
function routedClients(env: string, description: string): OptionSpec<readonly RoutedClientSpec[]> {
  const error = 'a JSON array of {id, provider: "claude", baseUrl, authTokenEnv, model, smallFastModel?}';
  const schema = z.preprocess(
    (value) => (typeof value === 'string' ? parseJson(value) : value),
    z.array(routedClientSchema, { error }).max(64, { error: 'at most 64 clients' }).readonly(),
  );
  return { kind: 'string', env, default: [], description, schema };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text; // the array schema then names what is expected
  }
}

export const ROUTED_OPTIONS = {
  // ---- routed critics (docs/routed-critics.md)
  routedClients: routedClients(
    'BRUTALIST_ROUTED_CLIENTS',
    'Named routed critics (claude through an Anthropic-compatible gateway), addressable by id in `clis`, `agents` and `models`: `[{id, provider: "claude", baseUrl, authTokenEnv, model, smallFastModel?, configDir?}]`.',
  ),
  routedTokenEnvs: list(
    'BRUTALIST_ROUTED_TOKEN_ENVS',
    [],
    'Environment variables a routed client may read its gateway token from (comma list); a client naming any other is refused with ROUTED_TOKEN_ENV_REFUSED.',
  ),
  routedBaseUrls: list(
    'BRUTALIST_ROUTED_BASE_URLS',
    [],
    'Allowed routed-client base URLs (origins or URL prefixes); empty: any https URL, or http on a loopback host.',
  ),
  routedMaxClients: int(
    'BRUTALIST_ROUTED_MAX_CLIENTS',
    16,
    1,
    64,
    'Most routed clients one call may name in `clients` (each runs in parallel with the native critics).',
  ),
  routedMaxCallCritics: int(
    'BRUTALIST_ROUTED_MAX_CALL_CRITICS',
    64,
    1,
    4096,
    'Most per-call routed critics the server keeps a circuit breaker and config folder for (least recently used dropped first).',
  ),
  routedStateDir: str(
    'BRUTALIST_ROUTED_STATE_DIR',
    '',
    "Folder of the routed critics' own CLAUDE_CONFIG_DIRs (0700, one per client); empty: brutalist-routed under workDir or the OS temp dir.",
  ),
} as const;
