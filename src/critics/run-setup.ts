/** Where and how a critic run starts: its working and private dirs, child env, sandbox mount plan and launch command. */
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Config, CriticName } from '../config/index.js';
import { BrutalistError } from '../errors/index.js';
import { currentTraceparent } from '../infra/index.js';
import { buildChildEnv, installFor, isInside, makePrivateDir, type SandboxPlan } from '../process/index.js';
import { type CriticsConfig, configPathsFor } from './adapters.js';
import type { SandboxStatus } from './availability.js';
import { persistentConfigDir, ROUTED_VENDOR, type RoutedRoute, routedEnv, routedExtraEnv } from './routed.js';
import type { CriticAdapter, FileAccess, Invocation } from './types.js';

/** Where one run happens: the target (held to its root), or a private empty dir made now and removed after. */
export function workplace(
  config: Config,
  fileAccess: FileAccess,
  options: { readonly cwd?: string; readonly root?: string },
): { cwd: string; root: string; remove: () => void } {
  if (fileAccess === 'none') {
    let dir: ReturnType<typeof makePrivateDir>;
    try {
      dir = makePrivateDir(config.workDir || tmpdir());
    } catch (cause) {
      throw new BrutalistError(
        'CLI_SPAWN_FAILED',
        'No private working directory could be made (check workDir).',
        {
          cause,
        },
      );
    }
    return { cwd: dir.path, root: dir.path, remove: dir.removeInBackground };
  }
  if (options.cwd === undefined) {
    throw new BrutalistError('INTERNAL_ERROR', 'A critic with file access needs a working directory.');
  }
  return { cwd: options.cwd, root: options.root ?? realOr(options.cwd), remove: () => {} };
}

function realOr(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path; // gone: the runner reports cwd_missing
  }
}

/** The mount plan of a confined run: the CLI's install, node and handed folders read-only, its config dirs writable. */
export function sandboxFor(
  status: SandboxStatus,
  critic: CriticName,
  binary: string,
  env: Readonly<Record<string, string>>,
  handed: Pick<Invocation, 'readOnlyPaths' | 'writablePaths'>,
  routed?: { readonly dir: string },
): { exec: string; plan: SandboxPlan & { readOnly: string[] } } | undefined {
  if (status.mode !== 'bwrap' || status.bwrap === undefined) return undefined;
  const install = installFor(binary, env.PATH);
  // A routed run sees its own config dir only: never the operator's ~/.claude.json or key files.
  const config = routed ? { writable: [routed.dir], readOnly: [] } : configPathsFor(critic, env);
  return {
    exec: install.exec,
    plan: {
      bwrap: status.bwrap,
      readOnly: [...install.dirs, ...config.readOnly, ...(handed.readOnlyPaths ?? [])],
      // Bound after the read-only ones: a writable folder inside a read-only one (the scratch's output dir) wins.
      writable: [...config.writable, ...(handed.writablePaths ?? [])],
    },
  };
}

/** What is spawned: the CLI itself, or the adapter's wrapper around it (agy's pty) and the folders it needs. */
export async function launchOf(
  adapter: CriticAdapter,
  config: CriticsConfig,
  cli: string,
  args: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<{ command: string; args: readonly string[]; readOnly: readonly string[]; wrapped: boolean }> {
  if (!adapter.launch) return { command: cli, args, readOnly: [], wrapped: false };
  const launch = await adapter.launch(config, cli, args, config.killGraceMs, env.PATH);
  return { ...launch, wrapped: true };
}

/**
 * A private 0700 folder for files a CLI is handed (agy's long prompt), made on first use under workDir or the OS
 * temp dir, never inside the target's root, and removed with its contents after the run.
 */
export function scratchPlace(
  config: CriticsConfig,
  root: string,
): { path: () => string; remove: () => void } {
  let dir: ReturnType<typeof makePrivateDir> | undefined;
  return {
    path: () => {
      if (dir) return dir.path;
      try {
        dir = makePrivateDir(config.workDir || tmpdir(), 'brutalist-scratch-');
      } catch (cause) {
        throw new BrutalistError(
          'CLI_SPAWN_FAILED',
          'No private scratch folder could be made (check workDir).',
          {
            cause,
          },
        );
      }
      if (isInside(realOr(dir.path), root)) {
        dir.remove();
        dir = undefined;
        throw new BrutalistError('CONFIG_INVALID', 'workDir must not lie inside a reviewed root.', {
          data: { option: 'workDir' },
        });
      }
      return dir.path;
    },
    remove: () => dir?.removeInBackground(),
  };
}

/** The vendor CLI a run starts: routed runs are claude's, whatever queue or runner carried them. */
export function vendorOf(vendor: CriticName, route: RoutedRoute | undefined): CriticName {
  if (route && vendor !== ROUTED_VENDOR) {
    throw new BrutalistError('INTERNAL_ERROR', 'A routed critic must run the claude CLI.');
  }
  return vendor;
}

/**
 * The child env. Native: the adapter's allowlist and extraEnv, minus what the adapter denies (claude: an ambient
 * ANTHROPIC_BASE_URL/ANTHROPIC_MODEL), then its settings. Routed: only the base allowlist and the harmless part of
 * extraEnv, then the route's own gateway, token, models and config dir: nothing of the operator's login.
 */
export function childEnv(
  config: CriticsConfig,
  adapter: CriticAdapter,
  serverEnv: NodeJS.ProcessEnv,
  set: Readonly<Record<string, string>>,
  routed: { route: RoutedRoute; dir: string } | undefined,
): Record<string, string> {
  // The critic run's span (or the request's context when tracing is off): a CLI that traces joins our trace.
  const traceparent = currentTraceparent();
  if (routed) {
    return buildChildEnv(serverEnv, {
      allow: routedExtraEnv(config),
      set: { ...set, ...routedEnv(routed.route, serverEnv, routed.dir) },
      traceparent,
    });
  }
  return buildChildEnv(serverEnv, {
    allow: [...adapter.envAllowlist(serverEnv), ...config.extraEnv],
    deny: adapter.envDenylist ?? [],
    set,
    traceparent,
  });
}

/**
 * A routed critic's CLAUDE_CONFIG_DIR: the config-file client's own persistent one, or, for a per-call client, a
 * fresh private dir (0700) for this run, removed after it like the run's other private dirs.
 */
export function routedConfigPlace(
  config: CriticsConfig,
  route: RoutedRoute,
): { path: string; remove: () => void } {
  if (route.source === 'config') return { path: persistentConfigDir(config, route), remove: () => {} };
  try {
    const dir = makePrivateDir(config.workDir || tmpdir(), 'brutalist-routed-');
    return { path: dir.path, remove: dir.removeInBackground };
  } catch (cause) {
    throw new BrutalistError('CLI_SPAWN_FAILED', 'No private config folder could be made (check workDir).', {
      cause,
    });
  }
}
