/**
 * Routed critics (issue 20, ADR 0048): the claude CLI through an Anthropic-compatible gateway, as a critic of its
 * own. Resolves the config-file and per-call clients into routes, and builds a routed run's isolated env.
 */
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import type { Config, CriticName, RoutedId } from '../config/index.js';
import { isCriticName } from '../config/index.js';
import { type RoutedClientSpec, routedClientSchema } from '../config/options-routed.js';
import { BrutalistError } from '../errors/index.js';

/** One routed critic, resolved and checked: where it goes, which token variable it reads, which models it asks for. */
export interface RoutedRoute {
  readonly id: RoutedId;
  /** `config`: named in the config file (its own metrics label, a persistent config dir); `call`: per call. */
  readonly source: 'config' | 'call';
  readonly baseUrl: string;
  readonly authTokenEnv: string;
  readonly model: string;
  /** Defaults to `model`: a gateway never receives Claude's built-in small model name. */
  readonly smallFastModel: string;
  /** Config file only: the CLAUDE_CONFIG_DIR to use instead of the server-managed one. */
  readonly configDir?: string;
  /** What its breaker, admission share and config dir are keyed by: the id, plus a digest for per-call clients. */
  readonly key: string;
}

/** The vendor CLI every routed critic runs. */
export const ROUTED_VENDOR: CriticName = 'claude';
/** The metrics label of every per-call routed critic (config-file ones are labelled by id): a bounded label set. */
export const CALL_ROUTED_LABEL = 'routed';

/** How much of the spec digest tells two per-call clients with one id apart. */
const KEY_DIGEST_CHARS = 12;

function invalid(id: string | undefined, reason: string, message: string): BrutalistError {
  return new BrutalistError('ROUTED_CLIENT_INVALID', message, {
    data: { ...(id ? { client: id } : {}), reason },
  });
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** https, or http on a loopback host; never credentials in the URL; within `allowed` when that is not empty. */
export function checkBaseUrl(id: string, baseUrl: string, allowed: readonly string[]): void {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw invalid(id, 'base_url', `clients.${id}.baseUrl is not a URL.`);
  }
  const loopback = LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  const schemeOk = url.protocol === 'https:' || (url.protocol === 'http:' && loopback);
  if (!schemeOk || url.username !== '' || url.password !== '') {
    throw invalid(
      id,
      'base_url',
      `clients.${id}.baseUrl must be https (or http on a loopback host), without user:password.`,
    );
  }
  if (allowed.length > 0 && !allowed.some((prefix) => withinPrefix(url, prefix))) {
    throw invalid(id, 'base_url_not_allowed', `clients.${id}.baseUrl is not in routedBaseUrls.`);
  }
}

/** `url` equals the allowed URL or lies under its path (origin compared whole, never a string prefix of a host). */
function withinPrefix(url: URL, prefix: string): boolean {
  let allowed: URL;
  try {
    allowed = new URL(prefix);
  } catch {
    return false;
  }
  if (url.origin !== allowed.origin) return false;
  const base = allowed.pathname.endsWith('/') ? allowed.pathname : `${allowed.pathname}/`;
  return url.pathname === allowed.pathname || url.pathname.startsWith(base) || allowed.pathname === '/';
}

/**
 * One spec checked against the config: token variable allowlisted and (where critics run: `tokenHere`) set, base
 * URL allowed.
 */
function toRoute(
  spec: RoutedClientSpec,
  source: RoutedRoute['source'],
  config: Config,
  env: NodeJS.ProcessEnv,
  tokenHere = true,
): RoutedRoute {
  const { id } = spec;
  if (isCriticName(id)) {
    throw invalid(id, 'id_taken', `clients: "${id}" is a native critic's name; choose another id.`);
  }
  if (!config.routedTokenEnvs.includes(spec.authTokenEnv)) {
    // The name alone is echoed back: it is what the caller sent, and it says which allowlist entry is missing.
    throw new BrutalistError(
      'ROUTED_TOKEN_ENV_REFUSED',
      `clients.${id}.authTokenEnv is not one of the variables the server allows (routedTokenEnvs).`,
      { data: { client: id, authTokenEnv: spec.authTokenEnv } },
    );
  }
  if (tokenHere && !env[spec.authTokenEnv]) {
    throw invalid(id, 'token_unset', `clients.${id}: the server has no value for its token variable.`);
  }
  checkBaseUrl(id, spec.baseUrl, config.routedBaseUrls);
  const digest = createHash('sha256')
    .update(JSON.stringify([spec.baseUrl, spec.authTokenEnv, spec.model, spec.smallFastModel ?? '']))
    .digest('hex')
    .slice(0, KEY_DIGEST_CHARS);
  return {
    id: id as RoutedId,
    source,
    baseUrl: spec.baseUrl,
    authTokenEnv: spec.authTokenEnv,
    model: spec.model,
    smallFastModel: spec.smallFastModel ?? spec.model,
    // Only the config file may choose a config dir; a tool call's is dropped by the call schema before this.
    ...(source === 'config' && spec.configDir ? { configDir: spec.configDir } : {}),
    key: source === 'config' ? id : `${id}@${digest}`,
  };
}

/** A route as a queued job carries it (ADR 0048, 2026-12-03): its source and spec, never a token or a config dir. */
export interface CarriedRoute {
  readonly source: RoutedRoute['source'];
  readonly client: Omit<RoutedClientSpec, 'configDir'>;
}

export function carriedRoute(route: RoutedRoute): CarriedRoute {
  const { id, baseUrl, authTokenEnv, model, smallFastModel } = route;
  return {
    source: route.source,
    client: { id, provider: 'claude', baseUrl, authTokenEnv, model, smallFastModel },
  };
}

/**
 * A carried route checked again on the worker, against the worker's own config and env: a config-file client must
 * be the worker's client of that id (same gateway, token variable and models); a per-call one passes the same
 * checks as on the front (token variable allowlisted and set here, base URL allowed). Else ROUTED_CLIENT_INVALID /
 * ROUTED_TOKEN_ENV_REFUSED, before anything runs.
 */
export function routeOnWorker(carried: CarriedRoute, config: Config, env: NodeJS.ProcessEnv): RoutedRoute {
  const { client } = carried;
  if (carried.source === 'call') return toRoute(client, 'call', config, env);
  const own = config.routedClients.find((spec) => spec.id === client.id);
  const same =
    own !== undefined &&
    own.baseUrl === client.baseUrl &&
    own.authTokenEnv === client.authTokenEnv &&
    own.model === client.model &&
    (own.smallFastModel ?? own.model) === client.smallFastModel;
  if (!same) {
    throw invalid(
      client.id,
      'worker_config',
      `${client.id}: this worker's config file does not define that client.`,
    );
  }
  return toRoute(own, 'config', config, env);
}

/** The config file's named clients, checked (CONFIG_INVALID-worthy problems surface on first use as typed errors). */
export function configRoutes(config: Config, env: NodeJS.ProcessEnv): RoutedRoute[] {
  return config.routedClients.map((spec) => toRoute(spec, 'config', config, env));
}

/**
 * The routes a call may use: the config file's, then the call's own `clients` (at most routedMaxClients, ids
 * distinct and not those of the config file). Throws ROUTED_CLIENT_INVALID / ROUTED_TOKEN_ENV_REFUSED. A queue
 * front runs no critic, so it needs no token value: the worker that runs the job checks it (routeOnWorker).
 */
export function resolveRoutes(
  callClients: readonly unknown[] | undefined,
  config: Config,
  env: NodeJS.ProcessEnv,
): ReadonlyMap<string, RoutedRoute> {
  const routes = new Map<string, RoutedRoute>();
  const tokenHere = config.execution !== 'queue';
  for (const spec of config.routedClients)
    routes.set(spec.id, toRoute(spec, 'config', config, env, tokenHere));
  const given = callClients ?? [];
  if (given.length > config.routedMaxClients) {
    throw invalid(
      undefined,
      'too_many',
      `At most ${config.routedMaxClients} clients may be named in one call.`,
    );
  }
  for (const raw of given) {
    // A tool call's configDir is ignored, never honoured (only the config file may set one).
    const { configDir: _ignored, ...rest } = (raw ?? {}) as Record<string, unknown>;
    const parsed = routedClientSchema.safeParse(rest);
    if (!parsed.success) {
      const id = typeof rest.id === 'string' && rest.id.length <= 32 ? rest.id : undefined;
      const field = String(parsed.error.issues[0]?.path[0] ?? 'clients');
      throw invalid(id, 'shape', `clients: ${field} must be ${parsed.error.issues[0]?.message ?? 'valid'}.`);
    }
    if (routes.has(parsed.data.id)) {
      throw invalid(parsed.data.id, 'duplicate_id', `clients: the id "${parsed.data.id}" is already in use.`);
    }
    routes.set(parsed.data.id, toRoute(parsed.data, 'call', config, env, tokenHere));
  }
  return routes;
}

/** What a routed run's metrics say it is: its id when the config file names it, else `routed`. */
export function routedLabel(route: RoutedRoute): string {
  return route.source === 'config' ? route.id : CALL_ROUTED_LABEL;
}

/**
 * The env a routed run sets over the bare allowlist: its gateway, its own token (as ANTHROPIC_AUTH_TOKEN, never
 * the operator's API key or OAuth token), its models for every slot Claude Code 2.1.197 reads, its config dir,
 * and no non-essential traffic (telemetry, error reports, updates would go elsewhere than the gateway).
 */
export function routedEnv(
  route: RoutedRoute,
  env: NodeJS.ProcessEnv,
  configDir: string,
): Record<string, string> {
  return {
    ANTHROPIC_BASE_URL: route.baseUrl,
    ANTHROPIC_AUTH_TOKEN: env[route.authTokenEnv] ?? '',
    ANTHROPIC_MODEL: route.model,
    ANTHROPIC_DEFAULT_OPUS_MODEL: route.model,
    ANTHROPIC_DEFAULT_SONNET_MODEL: route.model,
    ANTHROPIC_SMALL_FAST_MODEL: route.smallFastModel,
    ANTHROPIC_DEFAULT_HAIKU_MODEL: route.smallFastModel,
    CLAUDE_CONFIG_DIR: configDir,
    // `~` is its own dir too: nothing the CLI (or a path the gateway's model names) resolves under HOME is the operator's.
    HOME: configDir,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    DISABLE_AUTOUPDATER: '1',
  };
}

/** Names a routed run never takes from the server env, even when extraEnv lists them: they would re-route or re-key it. */
export function routedExtraEnv(config: Config): string[] {
  const tokens = new Set(config.routedTokenEnvs);
  return config.extraEnv.filter(
    (name) => !/^(ANTHROPIC_|CLAUDE_|AWS_|GOOGLE_|CLOUD_ML_|VERTEX_)/.test(name) && !tokens.has(name),
  );
}

/**
 * The config dir of a config-file client: its configDir, else `<routedStateDir>/<id>`; made 0700 and checked to be
 * a real directory of ours (not a link planted in a shared temp dir). Per-call clients get a fresh private dir
 * per run instead (the runner makes and removes it).
 */
export function persistentConfigDir(config: Config, route: RoutedRoute): string {
  const root = config.routedStateDir || join(config.workDir || tmpdir(), 'brutalist-routed');
  const dir = route.configDir && isAbsolute(route.configDir) ? route.configDir : join(root, route.id);
  try {
    if (!route.configDir) ensurePrivateDir(root);
    ensurePrivateDir(dir);
  } catch (cause) {
    throw new BrutalistError('CLI_SPAWN_FAILED', 'A routed critic config folder could not be made.', {
      data: { critic: route.id },
      cause,
    });
  }
  return dir;
}

function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const stat = lstatSync(dir);
  const uid = process.getuid?.();
  if (!stat.isDirectory() || (uid !== undefined && stat.uid !== uid)) {
    throw new Error('not a directory of this user');
  }
  if ((stat.mode & 0o777) !== 0o700) chmodSync(dir, 0o700);
}

/** The server env plus each allowlisted token under a name the secret scrubber recognises (any name may be allowlisted). */
export function withRoutedSecrets(config: Config, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const extra: Record<string, string> = {};
  config.routedTokenEnvs.forEach((name, i) => {
    const value = env[name];
    if (value) extra[`ROUTED_TOKEN_${i}`] = value;
  });
  return Object.keys(extra).length > 0 ? { ...env, ...extra } : env;
}
