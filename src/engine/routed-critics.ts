/** A request's routed critics (ADR 0048): its routes, which critics it names, and the roster rows of named clients. */
import { type CriticAvailability, ROUTED_VENDOR, resolveRoutes } from '../critics/index.js';
import { BrutalistError, toBrutalistError } from '../errors/index.js';
import type { Config, CriticId, RoutedId } from './config.js';
import { criticIdOf, NO_ROUTES, type RouteTable } from './critic-runs.js';
import type { CriticGuard } from './guarded-runner.js';
import type { RosterRow } from './types.js';

/**
 * The routes one call may address: the config file's named clients and the call's `clients`. Under queue
 * execution the job carries the route and the worker checks it again against its own config and env.
 */
export function routesFor(
  clients: readonly unknown[] | undefined,
  config: Config,
  env: NodeJS.ProcessEnv,
): RouteTable {
  if (config.routedClients.length === 0 && (clients ?? []).length === 0) return NO_ROUTES;
  return resolveRoutes(clients, config, env);
}

/**
 * The critics a new roast asks for, the earlier version's way: `clients` add to `clis`; `clis: []` with clients
 * runs only the clients; clients without `clis` add to the default critic (when one is installed). Undefined: the
 * default selection (or the conversation's critics).
 */
export async function requestedCritics(
  clis: readonly string[] | undefined,
  clients: readonly unknown[] | undefined,
  availability: CriticAvailability,
  config: Config,
): Promise<readonly string[] | undefined> {
  const clientIds = (clients ?? []).map((c) => (c as { id: string }).id);
  if (clis !== undefined && clis.length === 0 && clientIds.length === 0) {
    throw new BrutalistError(
      'INVALID_ARGUMENT',
      '`clis: []` runs only the named `clients`; name at least one.',
      {
        data: { field: 'clis' },
      },
    );
  }
  if (clientIds.length === 0) return clis;
  if (clis !== undefined) return [...clis, ...clientIds];
  for (const critic of config.criticPreference) {
    if ((await availability.check(critic)).available) return [critic, ...clientIds];
  }
  return clientIds;
}

/** Both named debaters as critic ids of this request (ROUTED_CLIENT_INVALID for a name that is neither). */
export function debaterIds(named: readonly string[], routes: RouteTable): [CriticId, CriticId] | undefined {
  const [pro, con] = named;
  if (!pro || !con) return undefined;
  return [criticIdOf(pro, routes, 'agents'), criticIdOf(con, routes, 'agents')];
}

/**
 * The roster rows of the config file's routed critics: available when claude is and the client checks out (else
 * `error` holds the code), the gateway's origin in `note`, no login (each uses only its own token).
 */
export async function routedRosterRows(
  config: Config,
  env: NodeJS.ProcessEnv,
  availability: CriticAvailability,
  guard: CriticGuard,
): Promise<RosterRow[]> {
  if (config.routedClients.length === 0) return [];
  const claude = await availability.check(ROUTED_VENDOR);
  let routes: RouteTable = NO_ROUTES;
  let error: string | null = null;
  try {
    routes = resolveRoutes(undefined, config, env);
  } catch (err) {
    error = toBrutalistError(err).code;
  }
  return config.routedClients.map((spec) => {
    const route = routes.get(spec.id);
    const problem = route ? (claude.error ?? null) : error;
    const status = route ? guard.status(route.id, routes) : undefined;
    return {
      critic: spec.id as RoutedId,
      available: claude.available && route !== undefined,
      version: claude.version ?? null,
      path: claude.path ?? null,
      defaultModel: spec.model,
      error: claude.available ? problem : (claude.error ?? 'CLI_NOT_FOUND'),
      note: `routed: claude via ${originOf(spec.baseUrl)}`,
      login: null,
      circuit: status?.circuit ?? UNUSED_CIRCUIT,
      running: status?.running ?? 0,
      queued: status?.queued ?? 0,
    };
  });
}

/** The circuit shown for a client that cannot run (its breaker is made on first use). */
const UNUSED_CIRCUIT: RosterRow['circuit'] = {
  state: 'closed',
  retryAfterMs: 0,
  calls: 0,
  failureRatePct: 0,
  slowCallRatePct: 0,
  consecutiveOpens: 0,
};

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}
