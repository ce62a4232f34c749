/** The roster rows (native critics with versions, models, logins and circuits; then routed clients) and store health. */
import {
  type CriticAvailability,
  type CriticLogins,
  defaultModelFor,
  type LoginStatus,
} from '../critics/index.js';
import type { StateStore, StateStoreStats, StoreHealth } from '../state/index.js';
import type { Config } from './config.js';
import type { CriticGuard } from './guarded-runner.js';
import { routedRosterRows } from './routed-critics.js';
import type { RosterRow } from './types.js';

/** What the roster reads: availability and logins (both cached for availabilityTtlMs) and the guard's state. */
export interface RosterParts {
  readonly config: Config;
  readonly env: NodeJS.ProcessEnv;
  readonly availability: CriticAvailability;
  readonly logins: CriticLogins | undefined;
  readonly guard: CriticGuard;
}

/** `cli_agent_roster`: which critics are installed, their versions and configured models. */
export async function roster(parts: RosterParts): Promise<RosterRow[]> {
  // Both cached for availabilityTtlMs; a login check waits for its critic's availability probe.
  const [all, logins] = await Promise.all([parts.availability.checkAll(), parts.logins?.checkAll()]);
  const natives = all.map((a) => ({
    critic: a.critic,
    available: a.available,
    version: a.version ?? null,
    path: a.path ?? null,
    defaultModel: defaultModelFor(parts.config, a.critic) ?? null,
    error: a.error ?? null,
    note: a.note ?? null,
    login: a.available ? loginOf(logins?.find((l) => l.critic === a.critic)) : null,
    ...parts.guard.status(a.critic),
  }));
  const routed = await routedRosterRows(parts.config, parts.env, parts.availability, parts.guard);
  return [...natives, ...routed];
}

/** The state store's health and counters, for the roster and `doctor`; never throws. */
export async function stateHealth(
  store: StateStore,
): Promise<StoreHealth & { readonly stats: StateStoreStats | null; readonly cacheHitRatio: number | null }> {
  const health = await store
    .health()
    .catch((): StoreHealth => ({ backend: 'memory', status: 'degraded', detail: 'state store closed' }));
  const stats = await store.stats().catch(() => null);
  const lookups = stats ? stats.cacheHits + stats.cacheMisses : 0;
  return { ...health, stats, cacheHitRatio: stats && lookups > 0 ? stats.cacheHits / lookups : null };
}

function loginOf(status: LoginStatus | undefined) {
  if (!status) return null;
  return { loggedIn: status.loggedIn, method: status.method, fix: status.fix };
}
