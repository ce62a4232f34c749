// Runs every benchmark in sequence and prints their numbers (never asserted; see each file for its baseline).
// Names on the command line run only those benchmarks (in the order of this list): `npm run bench -- overhead process/call-cpu`
// (a name is the path under bench/ without `.bench.ts`). Each bench's own env knobs apply, e.g. BENCH_NODE_CALLS.
const benches = [
  './overhead.bench.js',
  './process/run.bench.js',
  './process/group.bench.js',
  './process/stages.bench.js',
  './process/call-cpu.bench.js',
  './process/sandbox.bench.js',
  './critics/agy-pty.bench.js',
  './security/validation.bench.js',
  './security/untrusted-text.bench.js',
  './findings/findings.bench.js',
  './findings/survey.bench.js',
  './streaming.bench.js',
  './resilience/admission.bench.js',
  './resilience/breaker.bench.js',
  './resilience/callers.bench.js',
  './state/store.bench.js',
  './state/page.bench.js',
  './state/server.bench.js',
  './observability/logger.bench.js',
  './http/overhead.bench.js',
  './http/sessions.bench.js',
  './http/guard.bench.js',
  './http/flood.bench.js',
  './observability/metrics.bench.js',
  './observability/tracing.bench.js',

  './queue/throughput.bench.js',
  './cli/review-git.bench.js',
  // Last: it grows this process's heap, which would slow every later spawn.
  './process/spawn-rss.bench.js',
];
const nameOf = (path: string) => path.replace(/^\.\//, '').replace(/\.bench\.js$/, '');
const only = process.argv.slice(2);
const unknown = only.filter((name) => !benches.some((path) => nameOf(path) === name));
if (unknown.length > 0) {
  console.error(`unknown benchmark ${unknown.join(', ')}; one of: ${benches.map(nameOf).join(' ')}`);
  process.exit(2);
}
for (const path of benches.filter((p) => only.length === 0 || only.includes(nameOf(p)))) {
  const mod = (await import(path)) as { run: () => Promise<Record<string, number>> };
  console.log(`\n=== ${path}`);
  await mod.run();
}
