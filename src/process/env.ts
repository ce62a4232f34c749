/** The child environment: a fixed allowlist copied from the parent, forced settings and the recursion guard. */
import { delimiter } from 'node:path';
import { BrutalistError } from '../errors/index.js';
import { absolutePathEntries } from './executable.js';

/** Depth of nested critic runs; a critic CLI that starts this server again sees a value >= 1. */
export const RECURSION_ENV = 'BRUTALIST_CRITIC_DEPTH';

/** Variables a CLI needs to find itself, its config, its credentials store and the network. */
export const BASE_ENV_ALLOWLIST: readonly string[] = Object.freeze([
  'PATH',
  'HOME',
  'USER',
  'LOGNAME',
  'LANG',
  'LC_ALL',
  'LC_CTYPE',
  'TMPDIR',
  'TZ',
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'NO_PROXY',
  'https_proxy',
  'http_proxy',
  'no_proxy',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'NODE_EXTRA_CA_CERTS',
  'XDG_CONFIG_HOME',
  'XDG_CACHE_HOME',
  'XDG_DATA_HOME',
  'XDG_STATE_HOME',
]);

/** The server's own settings and secrets live under this prefix; no child ever inherits them. */
const PRIVATE_PREFIX = 'BRUTALIST_';
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

export interface ChildEnvOptions {
  /** Extra names to copy from the parent: exact names, or prefixes ending in `*` (e.g. `ANTHROPIC_*`). */
  readonly allow?: readonly string[];
  /** Exact names never copied from the parent even when `allow` matches them (`set` may still set them). */
  readonly deny?: readonly string[];
  /** Values set last; they override everything except the recursion guard and TRACEPARENT. */
  readonly set?: Readonly<Record<string, string>>;
  /** The W3C trace context the child continues (the critic run's span), set as TRACEPARENT. */
  readonly traceparent?: string;
}

/** The one trace variable a child gets, and only with the value given for it: a parent's is never inherited. */
export const TRACEPARENT_ENV = 'TRACEPARENT';

interface AllowRules {
  readonly exact: ReadonlySet<string>;
  readonly prefixes: readonly string[];
}

/** Parses allow entries; a bare `*` or a malformed name is refused because it would leak the whole env. */
function parseAllow(allow: readonly string[]): AllowRules {
  const exact = new Set<string>(BASE_ENV_ALLOWLIST);
  const prefixes: string[] = [];
  for (const entry of allow) {
    const isPrefix = entry.endsWith('*');
    const name = isPrefix ? entry.slice(0, -1) : entry;
    if (!NAME_RE.test(name)) {
      throw new BrutalistError(
        'INVALID_ARGUMENT',
        'env allow entries must be variable names or name prefixes ending in "*" (a bare "*" is refused)',
        { data: { option: 'allow' } },
      );
    }
    if (isPrefix) prefixes.push(name);
    else exact.add(name);
  }
  return { exact, prefixes };
}

/** Depths past this are clamped: the value only has to stay large, and must never wrap or lose precision. */
const MAX_DEPTH = 1_000_000;

/** Parent depth as a non-negative integer; anything unparsable counts as 0 so the guard still increments. */
function parentDepth(raw: string | undefined): number {
  if (raw === undefined || !/^\s*\d+\s*$/.test(raw)) return 0;
  return Math.min(Number.parseInt(raw, 10), MAX_DEPTH);
}

/**
 * Builds the complete environment for a child process. Nothing else is inherited:
 * allowlisted parent variables (PATH reduced to its absolute entries), then TERM=dumb, NO_COLOR=1 and the recursion guard,
 * then `set`, then TRACEPARENT (only `traceparent`, never an inherited or adapter-set one).
 */
export function buildChildEnv(
  parentEnv: NodeJS.ProcessEnv,
  options: ChildEnvOptions = {},
): Record<string, string> {
  const rules = parseAllow(options.allow ?? []);
  const env: Record<string, string> = {};
  const deny = new Set(options.deny ?? []);
  for (const [name, value] of Object.entries(parentEnv)) {
    if (value === undefined || name.startsWith(PRIVATE_PREFIX) || deny.has(name)) continue;
    if (rules.exact.has(name) || rules.prefixes.some((p) => name.startsWith(p))) env[name] = value;
  }
  // The critic's cwd is the target: a relative or empty PATH entry would let whatever the CLI itself spawns
  // (git, rg, a shell) be picked from the repository under review.
  if (env.PATH !== undefined) env.PATH = absolutePathEntries(env.PATH).join(delimiter);
  env.TERM = 'dumb';
  env.NO_COLOR = '1';
  const depth = String(parentDepth(parentEnv[RECURSION_ENV]) + 1);
  for (const [name, value] of Object.entries(options.set ?? {})) {
    if (name !== RECURSION_ENV) env[name] = value;
  }
  delete env[TRACEPARENT_ENV];
  if (options.traceparent !== undefined) env[TRACEPARENT_ENV] = options.traceparent;
  env[RECURSION_ENV] = depth;
  return env;
}
