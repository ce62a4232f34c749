/**
 * The operator endpoints of `serve --http`: `/healthz`, `/readyz` (no auth: probes), `/metrics` (bearer, admin
 * scope) and `/dashboard` (a static page; its data behind an admin bearer or the dashboard's session cookie).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BrutalistError } from '../errors/index.js';
import type { HealthMonitor, Metrics } from '../observability/index.js';
import { DASHBOARD_HTML, DASHBOARD_SCRIPT, DASHBOARD_SECURITY_HEADERS } from '../observability/index.js';
import { readBody } from './body.js';
import type { DashboardSessions } from './dashboard-sessions.js';
import type { Principal } from './keys.js';
import { replyJson } from './reply.js';

/** A login form carries one token: anything longer is not one. */
const LOGIN_MAX_BODY_BYTES = 8 * 1024;

export const OPS_PATHS: readonly string[] = [
  '/healthz',
  '/readyz',
  '/metrics',
  '/dashboard',
  '/dashboard/app.js',
  '/dashboard/data',
  '/dashboard/login',
  '/dashboard/logout',
];

export interface OpsRoutesOptions {
  readonly health: HealthMonitor;
  readonly metrics?: Pick<Metrics, 'render'>;
  /** The principal of an Authorization header; throws the refusal (401, or 503 when a JWKS is down). */
  readonly authenticate: (authorization: string | undefined, ip: string) => Promise<Principal>;
  readonly dashboard: {
    readonly sessions: DashboardSessions;
    readonly pollMs: number;
    /** What the page shows, gathered now. */
    snapshot(): Promise<Record<string, unknown>>;
  };
}

export class OpsRoutes {
  constructor(private readonly options: OpsRoutesOptions) {}

  owns(path: string): boolean {
    return OPS_PATHS.includes(path);
  }

  /** The dashboard's own origin (the page posting its login form) is allowed beside the configured origins. */
  allowsOrigin(path: string, origin: string | undefined, host: string | undefined): boolean {
    if (!path.startsWith('/dashboard') || origin === undefined || !host) return false;
    return origin === `http://${host}` || origin === `https://${host}`;
  }

  /** Answers one operator request; refusals are thrown as BrutalistErrors for the pipeline to write. */
  async handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (path === '/dashboard/login') return this.login(req, res);
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new BrutalistError('METHOD_NOT_ALLOWED');
    switch (path) {
      case '/healthz':
        return replyJson(res, 200, this.options.health.liveness());
      case '/readyz': {
        const readiness = await this.options.health.readiness();
        return replyJson(res, readiness.status === 'not ready' ? 503 : 200, readiness);
      }
      case '/metrics':
        return this.metrics(req, res);
      case '/dashboard':
        return send(res, 200, 'text/html; charset=utf-8', DASHBOARD_HTML);
      case '/dashboard/app.js':
        return send(res, 200, 'text/javascript; charset=utf-8', DASHBOARD_SCRIPT);
      case '/dashboard/logout':
        res.setHeader('Set-Cookie', this.options.dashboard.sessions.close(req.headers.cookie));
        return redirect(res, '/dashboard');
      default:
        return this.data(req, res);
    }
  }

  private async metrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
    requireAdmin(await this.options.authenticate(req.headers.authorization, ipOf(req)));
    if (!this.options.metrics) throw new BrutalistError('NOT_FOUND');
    const { contentType, body } = await this.options.metrics.render();
    res.writeHead(200, { 'Content-Type': contentType, 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private async data(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { dashboard } = this.options;
    const fromCookie = dashboard.sessions.principalOf(req.headers.cookie);
    requireAdmin(fromCookie ?? (await this.options.authenticate(req.headers.authorization, ipOf(req))));
    const snapshot = await dashboard.snapshot();
    replyJson(res, 200, { ...snapshot, pollMs: dashboard.pollMs }, DASHBOARD_SECURITY_HEADERS);
  }

  /** The form's token, checked like a bearer header: a session cookie for an admin, back to the form otherwise. */
  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') throw new BrutalistError('METHOD_NOT_ALLOWED');
    if (!/^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '')) {
      throw new BrutalistError('UNSUPPORTED_MEDIA_TYPE');
    }
    const form = new URLSearchParams((await readBody(req, LOGIN_MAX_BODY_BYTES)).toString('utf8'));
    const token = form.get('token')?.trim() ?? '';
    let principal: Principal;
    try {
      principal = await this.options.authenticate(`Bearer ${token}`, ipOf(req));
    } catch (err) {
      // A rate-limit refusal stands; a bad token goes back to the form, which says so.
      if (err instanceof BrutalistError && err.code === 'TOO_MANY_REQUESTS') throw err;
      return redirect(res, '/dashboard#denied');
    }
    if (!principal.scopes.has('admin')) return redirect(res, '/dashboard#denied');
    const secure = req.headers['x-forwarded-proto'] === 'https';
    res.setHeader('Set-Cookie', this.options.dashboard.sessions.open(principal, secure));
    redirect(res, '/dashboard');
  }
}

export function requireAdmin(principal: Principal): void {
  if (!principal.scopes.has('admin')) {
    throw new BrutalistError('INSUFFICIENT_SCOPE', 'This endpoint needs the scope "admin".', {
      data: { scope: 'admin' },
    });
  }
}

function ipOf(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? '';
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, {
    ...DASHBOARD_SECURITY_HEADERS,
    'Content-Type': contentType,
    'Content-Length': String(Buffer.byteLength(body)),
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(303, { ...DASHBOARD_SECURITY_HEADERS, Location: location, 'Content-Length': '0' });
  res.end();
}
