/** The diagnostics_channel events the runner publishes; observability code subscribes, core imports no metrics. */
import { diagnosticsChannel } from '../infra/index.js';
import type { ExitClass } from './types.js';

/** Published once a child has a pid. `command` is the basename only, so no host path leaks. */
export interface ProcessSpawnEvent {
  readonly pid: number;
  readonly command: string;
  readonly argCount: number;
}
export const spawnChannel = diagnosticsChannel<ProcessSpawnEvent>('brutalist:process:spawn');

/** Published once per runProcess call, when its result is ready (pid undefined if nothing was spawned). */
export interface ProcessExitEvent {
  readonly pid: number | undefined;
  readonly exit: ExitClass;
  readonly durationMs: number;
  readonly stdoutBytes: number;
  readonly truncated: boolean;
}
export const exitChannel = diagnosticsChannel<ProcessExitEvent>('brutalist:process:exit');

/** Published on a child's first stdout chunk, in the async context that spawned it (time to first byte). */
export interface ProcessFirstOutputEvent {
  readonly pid: number | undefined;
}
export const firstOutputChannel = diagnosticsChannel<ProcessFirstOutputEvent>(
  'brutalist:process:first-output',
);

/** The channel names, for subscribers that use node:diagnostics_channel directly. */
export const PROCESS_SPAWN_CHANNEL = spawnChannel.name;
export const PROCESS_EXIT_CHANNEL = exitChannel.name;
