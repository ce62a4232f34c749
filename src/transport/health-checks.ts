/**
 * The dependency checks `/readyz` and `brutalist-mcp doctor` share (critics, state store, Redis when configured),
 * and the warmup a server runs before it reports ready.
 */
import type { Config } from '../engine/config.js';
import type { Engine } from '../engine/index.js';
import type { Clock } from '../infra/index.js';
import { toolsFor } from '../mcp/index.js';
import { type CheckResult, type HealthCheck, HealthMonitor } from '../observability/index.js';
import type { App } from './app.js';

/**
 * critics: `down` when none is installed (this instance cannot critique); `degraded` when every installed one has
 * its circuit open (a vendor outage hits every instance alike: they should not all drop out of rotation at once).
 */
export function criticsCheck(app: Pick<App, 'availability' | 'engine'>): HealthCheck {
  return {
    name: 'critics',
    async run(): Promise<CheckResult> {
      // Availability only (cached for availabilityTtlMs): no login checks, which spawn each CLI's status command.
      const installed = (await app.availability.checkAll()).filter((c) => c.available);
      if (installed.length === 0) return { status: 'down', detail: 'no critic CLI installed' };
      const names = installed.map((c) => `${c.critic} ${c.version ?? ''}`.trim()).join(', ');
      const closed = installed.filter((c) => app.engine.criticStatus(c.critic).circuit.state !== 'open');
      if (closed.length === 0) return { status: 'degraded', detail: `every circuit open: ${names}` };
      return { status: 'ok', detail: names };
    },
  };
}

/** The state store answers; an outage (Redis unreachable, memory fallback) is shared, so `degraded`. */
export function storeCheck(engine: Engine): HealthCheck {
  return {
    name: 'store',
    async run(): Promise<CheckResult> {
      const health = await engine.stateHealth();
      const detail = `${health.backend}${health.detail ? `: ${health.detail}` : ''}`;
      return { status: health.status === 'ok' ? 'ok' : 'degraded', detail };
    },
  };
}

/** Redis on its own line when configured: the rate limits and shared state depend on it. */
export function redisCheck(engine: Engine): HealthCheck {
  return {
    name: 'redis',
    async run(): Promise<CheckResult> {
      const health = await engine.stateHealth();
      if (health.backend === 'redis' && health.status === 'ok') return { status: 'ok' };
      return { status: 'degraded', detail: 'unreachable' };
    },
  };
}

export function healthChecks(config: Config, app: Pick<App, 'availability' | 'engine'>): HealthCheck[] {
  const { engine } = app;
  return [criticsCheck(app), storeCheck(engine), ...(config.redisUrl ? [redisCheck(engine)] : [])];
}

export function createHealthMonitor(config: Config, app: App, clock: Clock): HealthMonitor {
  return new HealthMonitor(healthChecks(config, app), {
    clock,
    cacheMs: config.healthCacheMs,
    checkTimeoutMs: config.healthCheckTimeoutMs,
  });
}

/**
 * Before ready: the critics detected with their versions (probes cached for availabilityTtlMs), the store opened
 * and answering, the tool schemas compiled. Failures do not stop the server: readiness then reports them.
 */
export async function warmup(config: Config, health: HealthMonitor): Promise<void> {
  toolsFor(config);
  await health.dependencies().catch(() => undefined);
  health.markReady();
}

/** The checks as doctor prints them: one line each. */
export function formatChecks(checks: Record<string, CheckResult>): string {
  return Object.entries(checks)
    .map(([name, c]) => `check   ${name.padEnd(8)} ${c.status}${c.detail ? ` (${c.detail})` : ''}\n`)
    .join('');
}
