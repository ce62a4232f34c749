/**
 * The fixed name lists options choose from. Each type is derived from its list, so adding a critic or a level is
 * one entry here, not a cast at every use.
 */

export const CRITIC_NAMES = ['claude', 'codex', 'gemini', 'agy'] as const;
export type CriticName = (typeof CRITIC_NAMES)[number];

/** Admission priorities, most urgent first (index = level; 0 is served first and shed last). */
export const PRIORITY_NAMES = ['critical', 'interactive', 'default', 'batch'] as const;
export type PriorityName = (typeof PRIORITY_NAMES)[number];

export const SANDBOX_MODES = ['auto', 'bwrap', 'off'] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];

export const SPAWNER_MODES = ['auto', 'off'] as const;
export type SpawnerModeName = (typeof SPAWNER_MODES)[number];

/** Where critic runs execute: in the serving process, or as jobs on a Redis queue run by worker processes. */
export const EXECUTION_MODES = ['local', 'queue'] as const;
export type ExecutionMode = (typeof EXECUTION_MODES)[number];

export const STATE_STORES = ['auto', 'sqlite', 'redis', 'memory'] as const;
export type StateStoreChoice = (typeof STATE_STORES)[number];

export const DROP_POLICY_NAMES = ['drop-oldest', 'drop-newest', 'latest-wins'] as const;
export type DropPolicyName = (typeof DROP_POLICY_NAMES)[number];

/** Levels of the JSON log on stderr, most severe first; `silent` writes nothing. */
export const SERVER_LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type ServerLogLevel = (typeof SERVER_LOG_LEVELS)[number];

/** Scopes a caller over HTTP may hold: `roast` (roast, discovery, roster), `debate`, `admin`. */
export const API_SCOPES = ['roast', 'debate', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

/** Signature algorithms a JWT may use in OAuth resource-server mode (asymmetric only; never `none` or HMAC). */
export const JWT_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

/**
 * A routed critic's id (issue 20, ADR 0048): claude through an Anthropic-compatible gateway, named in the config
 * file or by the call. Branded so a routed id is never mistaken for (or indexed like) a native critic's name.
 */
export type RoutedId = string & { readonly __routedCritic: true };
/** Any critic a request may name: a native CLI, or a routed client by its id. */
export type CriticId = CriticName | RoutedId;

/** Whether `id` names a native critic CLI. */
export function isCriticName(id: string): id is CriticName {
  return (CRITIC_NAMES as readonly string[]).includes(id);
}
