/**
 * The real critic CLIs (and the real MCP clients) the real-binary tests run, pinned, installed into a cache
 * prefix outside the project
 * (never devDependencies: `npm ci` for users stays light). Idempotent and offline-safe once installed.
 *
 *   npx tsx scripts/real-clis.ts [install]   install what is missing (default)
 *   npx tsx scripts/real-clis.ts check       exit 1 if any pinned CLI is missing
 *   npx tsx scripts/real-clis.ts dir         print the cache directory
 *
 * The directory is $BRUTALIST_REAL_CLIS_DIR, else $XDG_CACHE_HOME/brutalist-mcp/real-clis,
 * else ~/.cache/brutalist-mcp/real-clis; one prefix per package and version (e.g. claude-2.1.197).
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** One npm package installed into its own prefix `<name>-<version>` under the cache dir. */
export interface PinnedPackage {
  readonly name: string;
  readonly pkg: string;
  readonly version: string;
  readonly bin: string;
  /**
   * How the install is checked: `<bin> --version` must print the version (default), or the installed
   * package.json must name it (for tools without a --version flag, such as the Inspector CLI).
   */
  readonly versionCheck?: 'flag' | 'package-json';
}

export interface PinnedCli extends PinnedPackage {
  readonly critic: 'claude' | 'codex' | 'gemini';
}

/** claude: 2.1.198+ declares node >= 22, so 2.1.197 is the newest that installs cleanly on Node 20. */
export const PINNED: readonly PinnedCli[] = Object.freeze([
  { name: 'claude', critic: 'claude', pkg: '@anthropic-ai/claude-code', version: '2.1.197', bin: 'claude' },
  { name: 'codex', critic: 'codex', pkg: '@openai/codex', version: '0.169.0', bin: 'codex' },
  { name: 'gemini', critic: 'gemini', pkg: '@google/gemini-cli', version: '0.61.0', bin: 'gemini' },
]);

/**
 * The MCP clients the client tests drive besides the critic pins (which double as clients): Claude Code
 * 2.1.332 (declares node >= 22 but its native binary runs on Node 20; it defers MCP tools behind ToolSearch),
 * and the MCP Inspector CLI (0.15.0 is the newest that runs on Node 20).
 */
export const CLIENT_PINS: readonly PinnedPackage[] = Object.freeze([
  { name: 'claude', pkg: '@anthropic-ai/claude-code', version: '2.1.332', bin: 'claude' },
  {
    name: 'inspector',
    pkg: '@modelcontextprotocol/inspector',
    version: '0.15.0',
    bin: 'mcp-inspector',
    versionCheck: 'package-json',
  },
]);

/** Everything `install` puts in the cache. */
export const ALL_PINS: readonly PinnedPackage[] = Object.freeze([...PINNED, ...CLIENT_PINS]);

const MARKER = '.brutalist-installed.json';
const INSTALL_TIMEOUT_MS = 5 * 60_000;
const LOCK_WAIT_MS = 6 * 60_000;
const LOCK_STALE_MS = 10 * 60_000;
const VERSION_TIMEOUT_MS = 30_000;

export function realClisDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BRUTALIST_REAL_CLIS_DIR) return env.BRUTALIST_REAL_CLIS_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'brutalist-mcp', 'real-clis');
}

export function prefixOf(pin: PinnedPackage, dir = realClisDir()): string {
  return join(dir, `${pin.name}-${pin.version}`);
}

export function binOf(pin: PinnedPackage, dir = realClisDir()): string {
  return join(prefixOf(pin, dir), 'node_modules', '.bin', pin.bin);
}

export function pinOf(critic: PinnedCli['critic']): PinnedCli {
  return PINNED.find((p) => p.critic === critic)!;
}

export function clientPinOf(name: string, version: string): PinnedPackage {
  return CLIENT_PINS.find((p) => p.name === name && p.version === version)!;
}

export function isInstalled(pin: PinnedPackage, dir = realClisDir()): boolean {
  const marker = join(prefixOf(pin, dir), MARKER);
  if (!existsSync(marker) || !existsSync(binOf(pin, dir))) return false;
  try {
    const recorded = JSON.parse(readFileSync(marker, 'utf8')) as { version?: string };
    return recorded.version === pin.version;
  } catch {
    return false;
  }
}

/** `<bin> --version` in a scratch HOME; the output must name the pinned version. */
export function versionMatches(bin: string, version: string): boolean {
  const home = mkdtempSync(join(tmpdir(), 'brutalist-real-clis-'));
  try {
    const run = spawnSync(bin, ['--version'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home, TMPDIR: home },
      encoding: 'utf8',
      timeout: VERSION_TIMEOUT_MS,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return run.status === 0 && run.stdout.includes(version);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A directory lock, so parallel test workers or CI steps install each CLI once. */
async function withLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const until = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      mkdirSync(path);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(path).mtimeMs > LOCK_STALE_MS)
          rmSync(path, { recursive: true, force: true });
      } catch {
        // Lock vanished between the calls: just retry.
      }
      if (Date.now() > until) throw new Error(`timed out waiting for the install lock ${path}`);
      await sleep(500);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { recursive: true, force: true });
  }
}

function npmInstall(prefix: string, spec: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      'npm',
      [
        'install',
        '--prefix',
        prefix,
        '--no-save',
        '--no-package-lock',
        '--no-audit',
        '--no-fund',
        '--include=optional',
        '--loglevel=error',
        spec,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: process.env },
    );
    let output = '';
    const keep = (d: Buffer) => {
      output = (output + d.toString('utf8')).slice(-8_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), INSTALL_TIMEOUT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ code: -1, output: String(err) });
    });
  });
}

export type InstallOutcome = { pin: PinnedPackage; status: 'cached' | 'installed'; ms: number };

/** Whether the package installed in `prefix` is the pinned version (see PinnedPackage.versionCheck). */
function installedVersionMatches(pin: PinnedPackage, prefix: string): boolean {
  if (pin.versionCheck !== 'package-json') {
    return versionMatches(join(prefix, 'node_modules', '.bin', pin.bin), pin.version);
  }
  try {
    const manifest = join(prefix, 'node_modules', ...pin.pkg.split('/'), 'package.json');
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version === pin.version;
  } catch {
    return false;
  }
}

/** Installs one pinned package unless present. Rejects with a message that says what to do. */
export async function ensureInstalled(pin: PinnedPackage, dir = realClisDir()): Promise<InstallOutcome> {
  const started = Date.now();
  if (isInstalled(pin, dir)) return { pin, status: 'cached', ms: 0 };
  mkdirSync(dir, { recursive: true });
  const prefix = prefixOf(pin, dir);
  return withLock(`${prefix}.lock`, async () => {
    if (isInstalled(pin, dir)) return { pin, status: 'cached', ms: Date.now() - started };
    const staging = `${prefix}.staging-${process.pid}`;
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    writeFileSync(join(staging, 'package.json'), '{"private":true}\n');
    const spec = `${pin.pkg}@${pin.version}`;
    // The registry sometimes drops a download mid-body (ECONNRESET): three tries before giving up.
    let run = await npmInstall(staging, spec);
    for (let attempt = 2; attempt <= 3 && run.code !== 0; attempt++) {
      await new Promise((r) => setTimeout(r, attempt * 5_000));
      run = await npmInstall(staging, spec);
    }
    const stagedBin = join(staging, 'node_modules', '.bin', pin.bin);
    if (run.code !== 0 || !existsSync(stagedBin) || !installedVersionMatches(pin, staging)) {
      rmSync(staging, { recursive: true, force: true });
      throw new Error(
        `could not install ${spec} (npm exit ${run.code}); the real-CLI tests need it.\n${run.output.trim()}`,
      );
    }
    writeFileSync(
      join(staging, MARKER),
      `${JSON.stringify({ package: pin.pkg, version: pin.version, installedAt: new Date().toISOString() })}\n`,
    );
    rmSync(prefix, { recursive: true, force: true });
    renameSync(staging, prefix);
    if (!installedVersionMatches(pin, prefix)) {
      throw new Error(`${spec} installed but \`${pin.bin} --version\` does not report ${pin.version}`);
    }
    return { pin, status: 'installed', ms: Date.now() - started };
  });
}

/** Installs every missing pinned package in parallel; rejects (after all finished) if any failed. */
export async function ensureAll(
  dir = realClisDir(),
  pins: readonly PinnedPackage[] = ALL_PINS,
): Promise<InstallOutcome[]> {
  const results = await Promise.allSettled(pins.map((pin) => ensureInstalled(pin, dir)));
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
  if (failures.length > 0) throw new Error(failures.join('\n'));
  return results.map((r) => (r as PromiseFulfilledResult<InstallOutcome>).value);
}

async function main(argv: readonly string[]): Promise<number> {
  const command = argv[0] ?? 'install';
  const dir = realClisDir();
  if (command === 'dir') {
    process.stdout.write(`${dir}\n`);
    return 0;
  }
  if (command === 'check') {
    const missing = ALL_PINS.filter((pin) => !isInstalled(pin, dir));
    for (const pin of missing) process.stderr.write(`real-clis: missing ${pin.pkg}@${pin.version}\n`);
    return missing.length === 0 ? 0 : 1;
  }
  if (command !== 'install') {
    process.stderr.write('usage: tsx scripts/real-clis.ts [install|check|dir]\n');
    return 2;
  }
  try {
    for (const r of await ensureAll(dir)) {
      const how = r.status === 'cached' ? 'cached' : `installed in ${(r.ms / 1000).toFixed(1)} s`;
      process.stdout.write(`real-clis: ${r.pin.name} ${r.pin.version} ready (${how})\n`);
    }
    return 0;
  } catch (err) {
    process.stderr.write(
      `\n!!! real-clis: INSTALL FAILED — the real-CLI test group (test/real) cannot run.\n${
        err instanceof Error ? err.message : String(err)
      }\nCache directory: ${dir} (override with BRUTALIST_REAL_CLIS_DIR).\n\n`,
    );
    return 1;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
