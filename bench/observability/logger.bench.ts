// The cost of one log line: a critic_failure line (2 KB stderr tail, redaction walk, request-id mixin) against a
// bare pino line with the same fields in the same process, and a line filtered out by the level (debug at warn).
import pino from 'pino';
import { createLogger, runInRequest } from '../../src/observability/index.js';

const N = Number(process.env.BENCH_LINES ?? 20_000);

const fields = {
  event: 'critic_failure',
  critic: 'claude',
  code: 'CLI_FAILED',
  exitClass: 'exit:3',
  durationMs: 1234,
  detail: 'fatal: upstream refused the request',
  stderrTail: 'retrying the request after a transient error\n'.repeat(45),
};

function perLine(fn: () => void): number {
  const started = process.hrtime.bigint();
  for (let i = 0; i < N; i++) fn();
  return Number(process.hrtime.bigint() - started) / 1e3 / N;
}

export async function run(): Promise<Record<string, number>> {
  const ours = createLogger({
    level: 'warn',
    destination: pino.destination({ dest: '/dev/null', sync: true }),
  });
  const bare = pino({ level: 'warn' }, pino.destination({ dest: '/dev/null', sync: true }));
  perLine(() => bare.warn(fields, 'warm-up'));
  const baseline = perLine(() => bare.warn(fields, 'critic run failed'));
  const logged = runInRequest('roast', () => perLine(() => ours.warn(fields, 'critic run failed')));
  const filtered = perLine(() => ours.debug(fields, 'critic run failed'));
  console.log(`bare pino line:            ${baseline.toFixed(2)} µs`);
  console.log(`our line (redact + mixin): ${logged.toFixed(2)} µs (${(logged / baseline).toFixed(1)}x bare)`);
  console.log(`filtered by level:         ${filtered.toFixed(3)} µs`);
  return { baselineUs: baseline, loggedUs: logged, filteredUs: filtered };
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
