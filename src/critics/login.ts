/**
 * Whether each critic CLI is logged in: a bounded run of its own status command (or a file check) for installed
 * critics, cached like availability and spawning the binary the availability probe found.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CriticName } from '../config/index.js';
import { buildChildEnv, runProcess } from '../process/index.js';
import { ADAPTERS, baseUrlFor } from './adapters.js';
import type { Availability, AvailabilityDeps, CriticAvailability } from './availability.js';
import type { LoginVerdict } from './login-checks.js';
import { CriticProbes, probeRunBounds } from './probes.js';

export interface LoginStatus extends LoginVerdict {
  readonly critic: CriticName;
  /** Clock time the check finished. */
  readonly checkedAt: number;
}

export interface LoginStatusDeps extends AvailabilityDeps {
  /** Says which critics are installed and which binary to run (shared cache with the rest of the server). */
  readonly availability: CriticAvailability;
}

/** A status answer is a few lines; a longer complaint on stderr is cut. */
const STATUS_MAX_STDERR_BYTES = 8 * 1024;

/** Login status per critic, cached while younger than availabilityTtlMs; check() never rejects. */
export class CriticLogins extends CriticProbes<LoginStatus> {
  private readonly availability: CriticAvailability;

  constructor(deps: LoginStatusDeps) {
    super(deps);
    this.availability = deps.availability;
  }

  protected async probe(critic: CriticName): Promise<LoginStatus> {
    const done = (verdict: LoginVerdict): LoginStatus => ({
      critic,
      ...verdict,
      checkedAt: this.clock.now(),
    });
    const installed = await this.availability.check(critic);
    if (!installed.available) return done({ loggedIn: null, method: null, fix: 'the CLI is not installed' });
    const adapter = ADAPTERS[critic];
    const check = adapter.login;
    let env: Record<string, string>;
    try {
      // The environment a critique would run with (allowlist plus the adapter's own settings, e.g. a base URL).
      const invocation = adapter.buildInvocation({ prompt: '' }, undefined, {
        baseUrl: baseUrlFor(this.config, critic),
      });
      env = buildChildEnv(this.env, {
        allow: [...adapter.envAllowlist(this.env), ...this.config.extraEnv],
        set: invocation.env,
      });
    } catch {
      return done({ loggedIn: null, method: null, fix: 'the critic environment is invalid (see extraEnv)' });
    }
    if (check.fromFiles) return done(check.fromFiles(env));
    if (!check.statusArgs || !check.interpret) return done({ loggedIn: null, method: null, fix: null });
    // A private empty folder: `claude auth status` reads project settings (apiKeyHelper) from its cwd, and a
    // shared temp dir could hold someone else's.
    let cwd: string;
    try {
      cwd = mkdtempSync(join(tmpdir(), 'brutalist-login-'));
    } catch {
      return done({
        loggedIn: null,
        method: null,
        fix: 'no private temp folder could be made to run the check in',
      });
    }
    const run = await runProcess({
      command: executableOf(installed),
      args: check.statusArgs,
      cwd,
      env,
      ...probeRunBounds(this.config, this.clock, STATUS_MAX_STDERR_BYTES),
    });
    rmSync(cwd, { recursive: true, force: true });
    const exit = run.exit;
    if (exit.kind !== 'ok' && exit.kind !== 'exit') {
      return done({ loggedIn: null, method: null, fix: `the status command did not finish (${exit.kind})` });
    }
    return done(
      check.interpret(
        {
          exitCode: exit.kind === 'ok' ? 0 : exit.code,
          stdout: run.stdout.toString('utf8'),
          stderr: run.stderrTail,
        },
        env,
      ),
    );
  }
}

/** The file the availability probe ran: the absolute path it resolved (installed critics always have one). */
function executableOf(installed: Availability): string {
  return installed.path ?? installed.binary;
}
