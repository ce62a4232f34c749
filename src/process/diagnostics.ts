/** The diagnostics_channel events the runner publishes; observability code subscribes, core imports no metrics. */
import { channel } from 'node:diagnostics_channel';
import type { ExitClass } from './types.js';

export const PROCESS_SPAWN_CHANNEL = 'brutalist:process:spawn';
export const PROCESS_EXIT_CHANNEL = 'brutalist:process:exit';

/** Published once a child has a pid. `command` is the basename only, so no host path leaks. */
export interface ProcessSpawnEvent {
  readonly pid: number;
  readonly command: string;
  readonly argCount: number;
}

/** Published once per runProcess call, when its result is ready (pid undefined if nothing was spawned). */
export interface ProcessExitEvent {
  readonly pid: number | undefined;
  readonly exit: ExitClass;
  readonly durationMs: number;
  readonly stdoutBytes: number;
  readonly truncated: boolean;
}

export const spawnChannel = channel(PROCESS_SPAWN_CHANNEL);
export const exitChannel = channel(PROCESS_EXIT_CHANNEL);
