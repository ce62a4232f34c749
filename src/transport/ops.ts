/** The operator side of `serve --http` composed: health with warmup, the drain, and the routes serving them. */
import type { Config } from '../engine/config.js';
import { BrutalistError, ERROR_CODES } from '../errors/index.js';
import { type Authenticator, DashboardSessions, OpsRoutes, type Principal } from '../http/index.js';
import type { Clock } from '../infra/index.js';
import type { HealthMonitor, Observability } from '../observability/index.js';
import type { App } from './app.js';
import { dashboardSnapshot } from './dashboard-data.js';
import { Drain } from './drain.js';
import { createHealthMonitor, warmup } from './health-checks.js';

export interface Ops {
  readonly health: HealthMonitor;
  readonly drain: Drain;
  readonly routes: OpsRoutes;
  /** Resolves when warmup finished (readiness 200 from then on unless a check is down). */
  readonly warmedUp: Promise<void>;
}

export interface OpsDeps {
  readonly config: Config;
  readonly app: App;
  readonly observability: Observability | undefined;
  readonly auth: Authenticator;
  readonly clock: Clock;
  /** Charges an IP for a failed authentication; returns the rate-limit refusal when it is over. */
  readonly authFailed?: (ip: string) => Promise<BrutalistError | null | undefined>;
}

export function createOps(deps: OpsDeps): Ops {
  const { config, app, observability, clock } = deps;
  const health = createHealthMonitor(config, app, clock);
  const routes = new OpsRoutes({
    health,
    ...(observability ? { metrics: observability.metrics } : {}),
    authenticate: (authorization, ip) => authenticate(deps, authorization, ip),
    dashboard: {
      sessions: new DashboardSessions(clock, {
        ttlMs: config.dashboardSessionTtlMs,
        maxSessions: config.dashboardMaxSessions,
      }),
      pollMs: config.dashboardPollMs,
      snapshot: async () => {
        if (!observability) throw new BrutalistError('NOT_FOUND');
        return dashboardSnapshot(app, observability, health, clock);
      },
    },
  });
  return {
    health,
    drain: new Drain(clock, config.drainRetryAfterMs),
    routes,
    warmedUp: warmup(config, health),
  };
}

/** A bearer header's principal, or the refusal the MCP endpoint would give (401 failures cost the IP). */
async function authenticate(
  deps: OpsDeps,
  authorization: string | undefined,
  ip: string,
): Promise<Principal> {
  const auth = await deps.auth.authenticate(authorization);
  if (auth.ok) return auth.principal;
  const refusal =
    auth.error ?? new BrutalistError('UNAUTHENTICATED', undefined, { data: { reason: auth.reason } });
  if (ERROR_CODES[refusal.code].httpStatus !== 401) throw refusal;
  throw (await deps.authFailed?.(ip)) ?? refusal;
}
