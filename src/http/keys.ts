/** API keys of the HTTP service: the keys file (`name:scopes:sha256hex` lines), bearer checks, `keys add`/`revoke`. */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { API_SCOPES as SCOPES, type ApiScope as Scope } from '../config/index.js';
import { BrutalistError } from '../errors/index.js';
import type { Clock } from '../infra/index.js';

export { SCOPES, type Scope };

/** The scope each tool needs (admin tools and endpoints come with the dashboard). */
export const TOOL_SCOPES: Readonly<Record<string, Scope>> = Object.freeze({
  roast: 'roast',
  brutalist_discover: 'roast',
  cli_agent_roster: 'roast',
  roast_cli_debate: 'debate',
  slo_report: 'admin',
});

/** Who a request acts for: the key's name (owner of its sessions, results and context ids) and its scopes. */
export interface Principal {
  readonly name: string;
  readonly scopes: ReadonlySet<Scope>;
}

interface ApiKey extends Principal {
  readonly hash: Buffer;
}

const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const HASH = /^[0-9a-f]{64}$/;
/** RFC 6750 b64token; ours are base64url, but a well-formed foreign token is "wrong", not "malformed". */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;
/** How every API-key token starts (then 43 base64url characters): tells it apart from a JWT. */
export const API_KEY_TOKEN_PREFIX = 'bmk_';
const LOCK_STALE_MS = 30_000;
const MAX_FILE_BYTES = 1024 * 1024;

const keysInvalid = (message: string) => new BrutalistError('CONFIG_INVALID', `API keys file: ${message}`);

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** A comma list of scopes, each known, at least one, no repeats. */
export function parseScopes(text: string): Scope[] {
  const items = text.split(',').map((s) => s.trim());
  const known = new Set<string>(SCOPES);
  if (items.length === 0 || items.some((s) => !known.has(s)) || new Set(items).size !== items.length) {
    throw new BrutalistError(
      'INVALID_ARGUMENT',
      `scopes must be a comma list of ${SCOPES.join(', ')} (each at most once), got ${JSON.stringify(text.slice(0, 80))}`,
      { data: { field: 'scopes' } },
    );
  }
  return items as Scope[];
}

/** The keys in a file's text; a bad line is named by number (its content may be a secret pasted by mistake). */
export function parseKeys(text: string): ApiKey[] {
  const keys: ApiKey[] = [];
  const names = new Set<string>();
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const [name = '', scopes = '', hash = '', ...extra] = line.split(':');
    const where = `line ${index + 1}`;
    if (extra.length > 0 || !NAME.test(name) || !HASH.test(hash)) {
      throw keysInvalid(`${where} must be name:scopes:sha256hex (name of [A-Za-z0-9._-], 64 hex digits).`);
    }
    if (names.has(name)) throw keysInvalid(`${where} repeats the key name ${name}.`);
    let parsed: Scope[];
    try {
      parsed = parseScopes(scopes);
    } catch {
      throw keysInvalid(`${where} has scopes other than a comma list of ${SCOPES.join(', ')}.`);
    }
    names.add(name);
    keys.push({ name, scopes: new Set(parsed), hash: Buffer.from(hash, 'hex') });
  });
  return keys;
}

/** The token of an `Authorization` header: undefined when absent, null when not a well-formed Bearer value. */
export function bearerOf(header: string | undefined): string | null | undefined {
  if (header === undefined) return undefined;
  return BEARER.exec(header)?.[1] ?? null;
}

/**
 * The keys file, re-read when it changes (a removed line is a revoked key from the next request on). A file that
 * disappears or turns invalid while serving locks every key out (fail closed) until it is fixed.
 */
export class KeyRing {
  private keys: ApiKey[] = [];
  private version = '';

  constructor(
    private readonly path: string,
    private readonly onReloadError: (error: BrutalistError) => void = () => {},
  ) {
    checkFileMode(path);
    this.reload(true);
  }

  get size(): number {
    this.reload(false);
    return this.keys.length;
  }

  /** The principal of a token, or null. Every key's hash is compared (constant time), whichever matches. */
  authenticate(token: string): Principal | null {
    this.reload(false);
    const presented = hashToken(token);
    let found: ApiKey | null = null;
    for (const key of this.keys) {
      if (timingSafeEqual(presented, key.hash) && found === null) found = key;
    }
    return found && { name: found.name, scopes: found.scopes };
  }

  private reload(first: boolean): void {
    let version: string;
    try {
      const s = statSync(this.path);
      version = `${s.ino}:${s.size}:${s.mtimeMs}:${s.mode}`;
    } catch (cause) {
      if (first) throw keysInvalid('cannot be read (BRUTALIST_API_KEYS_FILE).');
      this.failClosed(new BrutalistError('CONFIG_INVALID', 'API keys file: cannot be read.', { cause }));
      return;
    }
    if (version === this.version) return;
    try {
      if (!first) checkFileMode(this.path);
      this.keys = parseKeys(readBounded(this.path));
      this.version = version;
    } catch (err) {
      if (first) throw err;
      this.failClosed(err instanceof BrutalistError ? err : keysInvalid('cannot be read.'));
    }
  }

  private failClosed(error: BrutalistError): void {
    if (this.keys.length > 0 || this.version !== 'failed') this.onReloadError(error);
    this.keys = [];
    this.version = 'failed';
  }
}

/** Anyone who can write the file can mint keys: a file writable by group or others is refused. */
function checkFileMode(path: string): void {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    throw keysInvalid('cannot be read (BRUTALIST_API_KEYS_FILE).');
  }
  if ((mode & 0o022) !== 0) throw keysInvalid('is writable by group or others; chmod 600 it.');
}

function readBounded(path: string): string {
  const text = readFileSync(path, 'utf8');
  if (Buffer.byteLength(text) > MAX_FILE_BYTES) throw keysInvalid(`is larger than ${MAX_FILE_BYTES} bytes.`);
  return text;
}

/** A new random token (256 bits) for `name`, and the line that stores its hash. */
export function newKey(name: string, scopes: readonly Scope[]): { token: string; line: string } {
  if (!NAME.test(name)) {
    throw new BrutalistError('INVALID_ARGUMENT', 'The key name must be 1-64 characters of [A-Za-z0-9._-].', {
      data: { field: 'name' },
    });
  }
  const token = `${API_KEY_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, line: `${name}:${scopes.join(',')}:${hashToken(token).toString('hex')}\n` };
}

/**
 * Appends a new key under an exclusive lock (two concurrent `keys add` never lose a line or repeat a name); the file
 * is created 0600. Returns the token, which exists nowhere else: the file holds only its hash.
 */
export function addKey(path: string, name: string, scopes: readonly Scope[], clock: Clock): string {
  const { token, line } = newKey(name, scopes);
  withLock(path, clock, () => {
    const existing = readIfExists(path);
    if (existing !== undefined) {
      checkFileMode(path);
      if (parseKeys(existing).some((k) => k.name === name)) {
        throw new BrutalistError('INVALID_ARGUMENT', `A key named ${name} exists; revoke it first.`, {
          data: { field: 'name' },
        });
      }
    }
    const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
    try {
      if ((fstatSync(fd).mode & 0o022) !== 0)
        throw keysInvalid('is writable by group or others; chmod 600 it.');
      const prefix = existing && !existing.endsWith('\n') ? '\n' : '';
      writeSync(fd, prefix + line); // One write with O_APPEND: never interleaved with another writer's line.
    } finally {
      closeSync(fd);
    }
  });
  return token;
}

/** Removes the key `name` (atomic replace, mode kept 0600); false when there was none. */
export function revokeKey(path: string, name: string, clock: Clock): boolean {
  return withLock(path, clock, () => {
    const existing = readIfExists(path);
    if (existing === undefined) return false;
    checkFileMode(path);
    parseKeys(existing);
    const lines = existing.split('\n');
    const kept = lines.filter((l) => l.trim().split(':')[0] !== name || l.trim().startsWith('#'));
    if (kept.length === lines.length) return false;
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(tmp, kept.join('\n'), { mode: 0o600, flag: 'wx' });
    renameSync(tmp, path);
    return true;
  });
}

function readIfExists(path: string): string | undefined {
  try {
    return readBounded(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** `path.lock` made with O_EXCL; a lock left by a crashed writer (older than LOCK_STALE_MS) is taken over. */
function withLock<T>(path: string, clock: Clock, fn: () => T): T {
  const lock = `${path}.lock`;
  let fd: number;
  try {
    fd = openSync(lock, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    if (clock.now() - statSync(lock).mtimeMs < LOCK_STALE_MS) {
      throw new BrutalistError('OVERLOADED', 'Another `keys` command holds the keys file lock; try again.');
    }
    unlinkSync(lock);
    fd = openSync(lock, 'wx', 0o600);
  }
  try {
    return fn();
  } finally {
    closeSync(fd);
    unlinkSync(lock);
  }
}
