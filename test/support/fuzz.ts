/**
 * Fuzz settings shared by test/fuzz: one seed per run (printed, or taken from BRUTALIST_FUZZ_SEED to replay a
 * failure) and a bounded number of runs per property (BRUTALIST_FUZZ_RUNS, default 200) so `npm test` stays fast.
 */
import fc from 'fast-check';

const DEFAULT_RUNS = 200;

function intFromEnv(name: string): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || !/^-?\d+$/.test(raw.trim())) return undefined;
  return Number(raw.trim());
}

/** The seed this run uses: the replayed one, or a fresh one that is printed so a failure can be replayed. */
export const FUZZ_SEED =
  intFromEnv('BRUTALIST_FUZZ_SEED') ?? (Date.now() ^ (Math.random() * 0x1_0000_0000)) | 0;

/** Runs per property; the expensive ones (a server round trip each) take a fraction of it. */
export const FUZZ_RUNS = Math.max(1, intFromEnv('BRUTALIST_FUZZ_RUNS') ?? DEFAULT_RUNS);

let configured = false;

/** Applies the seed and run count to every fc.assert in this test file and prints how to replay them. */
export function useFuzzSeed(file: string): void {
  if (!configured) {
    fc.configureGlobal({ seed: FUZZ_SEED, numRuns: FUZZ_RUNS });
    configured = true;
  }
  console.info(
    `[fuzz] ${file}: seed ${FUZZ_SEED}, ${FUZZ_RUNS} runs (replay: BRUTALIST_FUZZ_SEED=${FUZZ_SEED})`,
  );
}

/** Host paths, stack frames and module names that must never reach a client. */
export function leaksInternals(text: string, hostPaths: readonly string[]): boolean {
  if (/\n\s+at /.test(text) || /node_modules|\.ts:\d+|\.js:\d+/.test(text)) return true;
  return hostPaths.some((p) => p.length > 1 && text.includes(p));
}
