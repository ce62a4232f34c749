/** The subprocess runner: the only module that spawns children, plus the child-env builder. */

export {
  PROCESS_EXIT_CHANNEL,
  PROCESS_SPAWN_CHANNEL,
  type ProcessExitEvent,
  type ProcessSpawnEvent,
} from './diagnostics.js';
export {
  BASE_ENV_ALLOWLIST,
  buildChildEnv,
  type ChildEnvOptions,
  RECURSION_ENV,
  TRACEPARENT_ENV,
} from './env.js';
export { absolutePathEntries, resolveExecutable } from './executable.js';
export { activeProcessGroups, killAllProcessGroups } from './group.js';
export type { LaunchEvents, Launched, Launcher, LaunchSpec } from './launch.js';
export { directLaunch } from './launch.js';
export { runProcess } from './run.js';
export { baseBwrapArgs, bwrapArgs, installFor, type SandboxPlan } from './sandbox.js';
export { configureSpawner, SPAWNER_LOST, type SpawnerMode, spawnerPid, stopSpawner } from './spawner.js';
export * from './types.js';
export {
  canPinWorkdir,
  checkChildCwd,
  isInside,
  makePrivateDir,
  type PinnedWorkdir,
  type PrivateDir,
  pinWorkdir,
  privateDirsRemoved,
  type WorkdirFailure,
} from './workdir.js';
