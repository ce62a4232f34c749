/**
 * Which critic CLIs are installed and working: each probe resolves the binary to one absolute path (absolute
 * PATH entries only) and runs `--version` by that path; single-flight, cached with a TTL.
 */
import { tmpdir } from 'node:os';
import type { CriticName } from '../config/index.js';
import { type ErrorCode, toBrutalistError } from '../errors/index.js';
import {
  buildChildEnv,
  canPinWorkdir,
  makePrivateDir,
  resolveExecutable,
  runProcess,
} from '../process/index.js';
import { ADAPTERS, binaryFor } from './adapters.js';
import { CriticProbes, type ProbeDeps, probeRunBounds } from './probes.js';

export interface Availability {
  readonly critic: CriticName;
  readonly available: boolean;
  readonly version?: string;
  /** The configured name or path. */
  readonly binary: string;
  /**
   * The absolute path the binary resolved to at this probe; every run of this critic spawns exactly this file.
   * Shown to the operator (`doctor`, the roster); never put in an error message.
   */
  readonly path?: string;
  readonly error?: ErrorCode;
  /** For the operator: why this binary was chosen or refused (agy: the IDE's launcher found first). */
  readonly note?: string;
  /** Clock time the probe finished. */
  readonly checkedAt: number;
}

/** Whether critics run confined, as found by the start-up probe; shown by `doctor` and the roster. */
export interface SandboxStatus {
  /** What the server does: `bwrap` (every critic in a mount namespace) or `off` (unconfined). */
  readonly mode: 'bwrap' | 'off';
  /** The `sandbox` option: auto | bwrap | off. */
  readonly configured: string;
  /** The bwrap executable in use (absolute path), when mode is bwrap. */
  readonly bwrap?: string;
  /** One line for the operator: why confinement is off, or what it shows. */
  readonly note: string;
}

export type AvailabilityDeps = ProbeDeps;

/** `--version` prints one short line; a longer complaint on stderr is cut. */
const VERSION_MAX_STDERR_BYTES = 4 * 1024;

export class CriticAvailability extends CriticProbes<Availability> {
  /** The sandbox probe runs once per process (bwrap does not come and go while a server runs). */
  private sandboxProbe: Promise<SandboxStatus> | undefined;

  /** Forgets what is known (e.g. the binary vanished mid-run); the next check probes again. */
  invalidate(critic: CriticName): void {
    this.forget(critic);
  }

  /** Whether critics run confined; the first call probes bwrap, later ones share that answer. */
  sandbox(): Promise<SandboxStatus> {
    this.sandboxProbe ??= this.probeSandbox();
    return this.sandboxProbe;
  }

  /** Runs `true` inside the same sandbox a critic gets (workdir bound from a descriptor): exit 0 means it works. */
  private async probeSandbox(): Promise<SandboxStatus> {
    const configured = this.config.sandbox;
    const off = (note: string): SandboxStatus => ({ mode: 'off', configured, note });
    if (configured === 'off') return off('off by configuration (sandbox=off): critics run unconfined');
    if (!canPinWorkdir) return off(`unavailable: confinement needs Linux with /proc; critics run unconfined`);
    const bwrap = await resolveExecutable(this.config.bwrapBin, this.env.PATH);
    const truePath = await resolveExecutable('true', this.env.PATH);
    if (!bwrap || !truePath) {
      return off('unavailable: bwrap not found (install bubblewrap); critics run unconfined');
    }
    let dir: ReturnType<typeof makePrivateDir>;
    try {
      dir = makePrivateDir(this.config.workDir || tmpdir(), 'brutalist-probe-');
    } catch {
      return off('unavailable: workDir is missing or not writable; critics run unconfined');
    }
    try {
      const run = await runProcess({
        command: truePath,
        args: [],
        cwd: dir.path,
        root: dir.path,
        sandbox: { bwrap, readOnly: [], writable: [] },
        env: buildChildEnv(this.env),
        ...this.probeBounds(),
      });
      if (run.exit.kind !== 'ok') {
        // bwrap's own message (e.g. "No permissions to creating new namespace") is for the operator's log only.
        return off(
          `unavailable: bwrap failed its probe (${run.exit.kind === 'exit' ? `exit ${run.exit.code}` : run.exit.kind}; unprivileged user namespaces may be disabled); critics run unconfined`,
        );
      }
      return {
        mode: 'bwrap',
        configured,
        bwrap,
        note: 'bwrap: each critic sees its target read-only, its own install and config, system dirs and a private /tmp',
      };
    } finally {
      dir.remove();
    }
  }

  private probeBounds() {
    return probeRunBounds(this.config, this.clock, VERSION_MAX_STDERR_BYTES);
  }

  /** Never rejects: every failure becomes an unavailable result with a code. */
  protected async probe(critic: CriticName): Promise<Availability> {
    const adapter = ADAPTERS[critic];
    const binary = binaryFor(this.config, critic);
    let path: string | undefined;
    let note: string | undefined;
    const unavailable = (error: ErrorCode): Availability => ({
      critic,
      available: false,
      binary,
      ...(path === undefined ? {} : { path }),
      error,
      ...(note === undefined ? {} : { note }),
      checkedAt: this.clock.now(),
    });
    let env: Record<string, string>;
    try {
      env = buildChildEnv(this.env, { allow: [...adapter.envAllowlist(this.env), ...this.config.extraEnv] });
    } catch (err) {
      return unavailable(toBrutalistError(err).code);
    }
    // Resolved on every probe, so a re-probe (TTL, invalidate) follows a binary that moved or was upgraded.
    if (adapter.locate) ({ path, note } = await adapter.locate(binary, this.env));
    else path = await resolveExecutable(binary, this.env.PATH);
    if (path === undefined) return unavailable('CLI_NOT_FOUND');
    let command: { command: string; args: readonly string[] } = { command: path, args: adapter.versionArgs };
    try {
      if (adapter.launch) {
        command = await adapter.launch(
          this.config,
          path,
          adapter.versionArgs,
          this.config.killGraceMs,
          env.PATH,
        );
      }
    } catch (err) {
      return unavailable(toBrutalistError(err).code); // the wrapper's interpreter is missing
    }
    let probeDir: ReturnType<typeof makePrivateDir>;
    try {
      probeDir = makePrivateDir(this.config.workDir || tmpdir(), 'brutalist-probe-');
    } catch {
      return unavailable('CLI_SPAWN_FAILED'); // workDir missing or not writable
    }
    const run = await runProcess({
      command: command.command,
      args: command.args,
      // A fresh private directory: the probe must not pick up project-level CLI config (a shared /tmp may hold
      // someone else's .claude/ or .gemini/).
      cwd: probeDir.path,
      env,
      ...this.probeBounds(),
    }).finally(() => probeDir.remove());
    if (run.exit.kind !== 'ok') return unavailable(adapter.classifyFailure(run, undefined) ?? 'CLI_FAILED');
    const version = adapter.parseVersion(run.stdout.toString('utf8'));
    if (version === undefined) return unavailable('CLI_OUTPUT_INVALID');
    return {
      critic,
      available: true,
      version,
      binary,
      path,
      ...(note === undefined ? {} : { note }),
      checkedAt: this.clock.now(),
    };
  }
}
