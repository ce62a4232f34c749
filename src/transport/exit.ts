/** How a serving process ends: once, after its shutdown ran, with 130/143 for SIGINT/SIGTERM. */

/** Registers SIGINT/SIGTERM and returns `stop(exitCode)`: runs `shutdown` once, then exits whatever it threw. */
export function exitAfter(shutdown: () => Promise<void>): (exitCode: number) => Promise<void> {
  let stopping = false;
  const stop = async (exitCode: number) => {
    if (stopping) return;
    stopping = true;
    try {
      await shutdown();
    } finally {
      process.exit(exitCode);
    }
  };
  process.once('SIGINT', () => void stop(130));
  process.once('SIGTERM', () => void stop(143));
  return stop;
}
