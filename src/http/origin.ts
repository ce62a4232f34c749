/** Host and Origin checks of every HTTP request (DNS rebinding, cross-site requests) and the CORS headers they allow. */

/** Headers a browser client may send and read (the MCP ones included). */
const ALLOW_HEADERS = 'authorization, content-type, mcp-session-id, mcp-protocol-version, last-event-id';
const EXPOSE_HEADERS = 'mcp-session-id, mcp-protocol-version, www-authenticate, retry-after';
const ALLOW_METHODS = 'GET, POST, DELETE, OPTIONS';
const PREFLIGHT_MAX_AGE_S = '600';

export interface OriginPolicyOptions {
  /** `name` (any port) or `name:port`; empty: the loopback names at `port`. */
  readonly allowedHosts: readonly string[];
  /** Exact origins, `scheme://host[:port]`. */
  readonly allowedOrigins: readonly string[];
  /** The bound port, for the default hosts. */
  readonly port: number;
}

export class OriginPolicy {
  private readonly hosts: ReadonlySet<string>;
  private readonly hostNames: ReadonlySet<string>;
  private readonly origins: ReadonlySet<string>;

  constructor(options: OriginPolicyOptions) {
    const hosts =
      options.allowedHosts.length > 0
        ? options.allowedHosts
        : ['localhost', '127.0.0.1', '[::1]'].map((h) => `${h}:${options.port}`);
    const lower = hosts.map((h) => h.trim().toLowerCase()).filter((h) => h !== '');
    this.hosts = new Set(lower.filter(hasPort));
    this.hostNames = new Set(lower.filter((h) => !hasPort(h)));
    this.origins = new Set(
      options.allowedOrigins.map((o) => o.trim()).filter((o) => o !== '' && o !== 'null'),
    );
  }

  /** Whether the Host header names this server. A missing Host is refused like a foreign one. */
  hostAllowed(host: string | undefined): boolean {
    if (!host) return false;
    const h = host.toLowerCase();
    if (this.hosts.has(h)) return true;
    return this.hostNames.has(hasPort(h) ? h.slice(0, h.lastIndexOf(':')) : h);
  }

  /** An absent Origin (not a browser) passes; `null` and anything not listed exactly do not. */
  originAllowed(origin: string | undefined): boolean {
    return origin === undefined || this.origins.has(origin);
  }

  /** CORS headers for an allowed Origin: the exact origin echoed, never `*`, and Vary so caches keep them apart. */
  corsHeaders(origin: string | undefined): Record<string, string> {
    if (origin === undefined) return { Vary: 'Origin' };
    return {
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Expose-Headers': EXPOSE_HEADERS,
      Vary: 'Origin',
    };
  }

  /** The answer to an allowed preflight. */
  preflightHeaders(origin: string): Record<string, string> {
    return {
      ...this.corsHeaders(origin),
      'Access-Control-Allow-Methods': ALLOW_METHODS,
      'Access-Control-Allow-Headers': ALLOW_HEADERS,
      'Access-Control-Max-Age': PREFLIGHT_MAX_AGE_S,
    };
  }
}

/** `name:port` or `[v6]:port`, not a bare name or `[v6]`. */
function hasPort(host: string): boolean {
  return /:\d+$/.test(host) && (!host.startsWith('[') || host.includes(']:'));
}

/** Whether a bind address is a loopback one (then no authentication is acceptable). */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}
