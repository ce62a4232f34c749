/** How a serving process ends: once, after its shutdown ran, with 130/143 for SIGINT/SIGTERM. */

/**
 * The process a server ends: how it exits and where its signals arrive. The real process by default; an in-process
 * test passes its own, so a server under test neither ends the test runner nor hears its signals.
 */
export interface ProcessHost {
  readonly exit: (exitCode: number) => void;
  readonly signals: Pick<NodeJS.EventEmitter, 'on' | 'once'>;
}

export const realProcess: ProcessHost = { exit: (exitCode) => process.exit(exitCode), signals: process };

/** Registers SIGINT/SIGTERM and returns `stop(exitCode)`: runs `shutdown` once, then exits whatever it threw. */
export function exitAfter(
  shutdown: () => Promise<void>,
  host: ProcessHost = realProcess,
): (exitCode: number) => Promise<void> {
  let stopping = false;
  const stop = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    try {
      await shutdown();
    } finally {
      host.exit(exitCode);
    }
  };
  host.signals.once('SIGINT', () => void stop(130));
  host.signals.once('SIGTERM', () => void stop(143));
  return stop;
}
